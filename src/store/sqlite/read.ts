/** Reads of the SQLite store: outside the write queue, against the last committed state. */
import { type NotFoundError, taskNotFound } from "../../domain/errors.js";
import { formatTaskId, tryParseTaskId } from "../../domain/ids.js";
import {
  emptyCounts,
  statsFromCounts,
  type Task,
  type TaskStats,
  type TaskStatus,
} from "../../domain/task.js";
import { encodeCursor } from "../cursor.js";
import { COMPLETION_SCAN, listArguments, matchingIds } from "../queries.js";
import type { ListQuery, TaskPage } from "../types.js";
import type { SqliteContext } from "./context.js";
import { type Row, rowToTask } from "./rows.js";

export function notFound(ctx: SqliteContext, id: string): NotFoundError {
  const pending = ctx.stmt.suggestPending.all().map((r) => formatTaskId(r.seq));
  if (pending.length > 0) return taskNotFound(id, pending);
  return taskNotFound(
    id,
    [],
    ctx.stmt.suggestRecent.all().map((r) => formatTaskId(r.seq)),
  );
}

/** The row for an id (inside a write or a read), or throw NotFoundError. */
export function mustGet(ctx: SqliteContext, id: string): Row {
  const seq = tryParseTaskId(id);
  const row = seq === null ? undefined : ctx.stmt.getBySeq.get(seq);
  if (!row) throw notFound(ctx, id);
  return row;
}

export function get(ctx: SqliteContext, id: string): Task {
  const seq = tryParseTaskId(id);
  const row = seq === null ? undefined : ctx.read(() => ctx.stmt.getBySeq.get(seq));
  if (!row) throw ctx.read(() => notFound(ctx, id));
  return rowToTask(row);
}

function counts(ctx: SqliteContext): { byStatus: Record<TaskStatus, number>; attempts: number } {
  const byStatus = emptyCounts();
  let attempts = 0;
  for (const row of ctx.stmt.counts.all()) {
    byStatus[row.status] = row.n;
    attempts += row.attempts;
  }
  return { byStatus, attempts };
}

export function list(ctx: SqliteContext, query: ListQuery): TaskPage {
  const { status, limit, after, queue, scope } = listArguments(query);
  return ctx.read(() => {
    const rows = queue
      ? status === undefined
        ? ctx.stmt.listQueue.all(limit + 1, after)
        : ctx.stmt.listQueueByStatus.all(status, limit + 1, after)
      : status === undefined
        ? ctx.stmt.listAll.all(after, limit + 1)
        : ctx.stmt.listByStatus.all(status, after, limit + 1);
    const page = rows.slice(0, limit);
    const { byStatus } = counts(ctx);
    const total =
      status === undefined ? Object.values(byStatus).reduce((a, b) => a + b, 0) : byStatus[status];
    const last = page.at(-1);
    return {
      tasks: page.map(rowToTask),
      total,
      nextCursor: rows.length > limit && last ? encodeCursor(queue ? after + limit : last.seq, scope) : null,
    };
  });
}

export function peekNext(ctx: SqliteContext): Task | null {
  const row = ctx.read(() => ctx.stmt.next.get(new Date(ctx.clock.now()).toISOString()));
  return row ? rowToTask(row) : null;
}

export function stats(ctx: SqliteContext): TaskStats {
  return ctx.read(() => {
    const { byStatus, attempts } = counts(ctx);
    return statsFromCounts(byStatus, attempts, ctx.stmt.blocked.get()?.n ?? 0);
  });
}

export function completeIds(ctx: SqliteContext, prefix: string, limit: number): string[] {
  const rows = ctx.read(() => ctx.stmt.recentSeqs.all(COMPLETION_SCAN));
  return matchingIds(
    rows.map((r) => r.seq),
    prefix,
    limit,
  );
}
