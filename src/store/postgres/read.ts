/** Reads of the PostgreSQL store. No locks: each statement sees the state committed when it started. */
import { type NotFoundError, taskNotFound } from "../../domain/errors.js";
import { formatTaskId, tryParseTaskId } from "../../domain/ids.js";
import { emptyCounts, isTaskStatus, statsFromCounts, type Task, type TaskStats } from "../../domain/task.js";
import { encodeCursor } from "../cursor.js";
import { COMPLETION_SCAN, listArguments, matchingIds } from "../queries.js";
import type { ListQuery, TaskPage } from "../types.js";
import type { PgContext } from "./context.js";
import type { Queryable } from "./db.js";
import { type Row, rowToTask } from "./rows.js";

export async function get(ctx: PgContext, id: string): Promise<Task> {
  ctx.assertOpen();
  const seq = tryParseTaskId(id);
  const rows = seq === null ? [] : await ctx.db.query<Row>(ctx.sql.getOne, [seq], { readOnly: true });
  const row = rows[0];
  if (!row) throw await notFound(ctx, id);
  return rowToTask(row);
}

export async function list(ctx: PgContext, query: ListQuery): Promise<TaskPage> {
  ctx.assertOpen();
  const { status, limit, after, queue, scope } = listArguments(query);
  const rows = await ctx.db.query<Row & { total: number }>(
    queue ? ctx.sql.listQueue : status === undefined ? ctx.sql.listAll : ctx.sql.listByStatus,
    queue
      ? [after, limit + 1, status ?? null]
      : status === undefined
        ? [after, limit + 1]
        : [after, limit + 1, status],
    { readOnly: true },
  );
  const tasks = rows.filter((r) => r.seq !== null);
  const page = tasks.slice(0, limit);
  const last = page.at(-1);
  return {
    tasks: page.map(rowToTask),
    total: rows[0]?.total ?? 0,
    nextCursor:
      tasks.length > limit && last ? encodeCursor(queue ? after + limit : Number(last.seq), scope) : null,
  };
}

export async function peekNext(ctx: PgContext): Promise<Task | null> {
  ctx.assertOpen();
  const [row] = await ctx.db.query<Row>(ctx.sql.peekNext, [], { readOnly: true });
  return row ? rowToTask(row) : null;
}

export async function stats(ctx: PgContext): Promise<TaskStats> {
  ctx.assertOpen();
  const rows = await ctx.db.query<{ status: string; n: number; attempts: number }>(ctx.sql.stats, [], {
    readOnly: true,
  });
  const counts = emptyCounts();
  let attempts = 0;
  let blocked = 0;
  for (const row of rows) {
    if (row.status === "blocked") blocked = row.n;
    else if (isTaskStatus(row.status)) {
      counts[row.status] = row.n;
      attempts += row.attempts;
    }
  }
  return statsFromCounts(counts, attempts, blocked);
}

export async function completeIds(ctx: PgContext, prefix: string, limit: number): Promise<string[]> {
  ctx.assertOpen();
  const rows = await ctx.db.query<{ seq: string }>(ctx.sql.recentSeqs, [COMPLETION_SCAN], { readOnly: true });
  return matchingIds(
    rows.map((r) => Number(r.seq)),
    prefix,
    limit,
  );
}

export async function notFound(
  ctx: PgContext,
  id: string,
  q: Queryable | null = null,
): Promise<NotFoundError> {
  const rows = q
    ? await q.query<{ kind: string; seq: string }>(ctx.sql.suggestions)
    : await ctx.db.query<{ kind: string; seq: string }>(ctx.sql.suggestions, [], { readOnly: true });
  const ids = (kind: string) => rows.filter((r) => r.kind === kind).map((r) => formatTaskId(Number(r.seq)));
  const pending = ids("pending");
  return taskNotFound(id, pending, pending.length > 0 ? [] : ids("recent"));
}
