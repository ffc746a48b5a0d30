/**
 * The locking path of the PostgreSQL store, for every change that is not a plain claim or
 * completion (hot-path.ts): a short READ COMMITTED transaction that locks the task rows, applies the
 * domain's transition (src/domain/transitions.ts) in JavaScript, and writes the result back
 * (sql/transition.ts explains the locks).
 */
import { formatTaskId, tryParseTaskId } from "../../domain/ids.js";
import type { Task } from "../../domain/task.js";
import * as T from "../../domain/transitions.js";
import { validateIdBatch } from "../../domain/validate.js";
import { type ClaimOptions, DEFAULT_LEASE_MS, type RetryOptions, type WorkerOptions } from "../types.js";
import type { PgContext } from "./context.js";
import type { Queryable } from "./db.js";
import { notFound } from "./read.js";
import { jsonArray, type LockedRow, type Row, rowToTask } from "./rows.js";

/**
 * Lock one task, apply a domain transition, write it back (sql/transition.ts). The transition may
 * read more inside the transaction through `tx`.
 */
export async function transition(
  ctx: PgContext,
  id: string,
  apply: (task: Task, now: number, row: LockedRow, tx: Queryable) => Task | Promise<Task>,
): Promise<Task> {
  return withLockedTask(ctx, id, "updated", async (row, tx) => {
    const after = await apply(rowToTask(row), row.now_ms, row, tx);
    const [saved] = await save(ctx, tx, [{ row, after }]);
    return saved as Task;
  });
}

/**
 * In one transaction: lock task `id` (a NotFoundError when there is none), run `work` on its row,
 * and after the commit announce the change of `kind`.
 */
export async function withLockedTask<R>(
  ctx: PgContext,
  id: string,
  kind: "updated" | "deleted",
  work: (row: LockedRow, tx: Queryable) => Promise<R>,
): Promise<R> {
  ctx.assertOpen();
  const seq = tryParseTaskId(id);
  if (seq === null) throw await notFound(ctx, id);
  const result = await ctx.db.transaction(async (tx) => {
    const [row] = await tx.query<LockedRow>(ctx.sql.lockOne, [seq]);
    if (!row) throw await notFound(ctx, id, tx);
    return work(row, tx);
  });
  ctx.feed.publish([{ kind, seqs: [seq] }]);
  return result;
}

/** Write transitioned tasks back and move their dependents' counters; rows are locked. */
async function save(ctx: PgContext, tx: Queryable, items: Array<{ row: Row; after: Task }>): Promise<Task[]> {
  const after = items.map((item) => item.after);
  const rows = await tx.query<Row>(ctx.sql.save, [
    items.map((item) => item.row.seq),
    after.map((t) => t.status),
    after.map((t) => t.attempts),
    after.map((t) => t.result),
    after.map((t) => t.failure_reason),
    after.map((t) => jsonArray(t.feedback)),
    after.map((t) => t.started_at),
    after.map((t) => t.completed_at),
    after.map((t) => t.updated_at),
    after.map((t) => t.lease_expires_at),
    after.map((t) => t.claimed_by),
    after.map((t) => t.not_before),
  ]);
  const moved = items.filter(
    ({ row, after }) => row.has_dependents && (row.status === "completed") !== (after.status === "completed"),
  );
  if (moved.length > 0) {
    const deps = moved.map(({ row }) => row.seq);
    await tx.query(ctx.sql.lockDependents, [deps]);
    await tx.query(ctx.sql.adjustDependents, [
      deps,
      moved.map(({ after }) => (after.status === "completed" ? -1 : 1)),
    ]);
  }
  const bySeq = new Map(rows.map((r) => [r.seq, r]));
  return items.map(({ row }) => rowToTask(bySeq.get(row.seq) as Row));
}

export function start(ctx: PgContext, id: string, options: ClaimOptions): Promise<Task> {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  return transition(ctx, id, async (task, now, row, tx) =>
    T.startTask(task, {
      workerId: options.workerId,
      leaseMs,
      now,
      unmetDependencies:
        row.unmet_deps > 0
          ? (await tx.query<{ seq: string }>(ctx.sql.unmetDependencies, [row.seq])).map((r) =>
              formatTaskId(Number(r.seq)),
            )
          : [],
    }),
  );
}

export function renewLease(ctx: PgContext, id: string, options: Required<ClaimOptions>): Promise<Task> {
  return transition(ctx, id, (task, now) =>
    T.renewLease(task, { now, workerId: options.workerId, leaseMs: options.leaseMs }),
  );
}

export function fail(ctx: PgContext, id: string, reason: string, options: WorkerOptions): Promise<Task> {
  return transition(ctx, id, (task, now) => T.failTask(task, reason, { now, ...options }));
}

export function retry(ctx: PgContext, id: string, feedback: string, options: RetryOptions): Promise<Task> {
  return transition(ctx, id, (task, now) => T.retryTask(task, feedback, { now, ...options }));
}

export function release(
  ctx: PgContext,
  id: string,
  options: WorkerOptions & { note?: string },
): Promise<Task> {
  return transition(ctx, id, (task, now) => T.releaseTask(task, { now, ...options }));
}

export async function completeBatch(ctx: PgContext, ids: string[], result: string): Promise<Task[]> {
  ctx.assertOpen();
  const unique = validateIdBatch(ids);
  const seqs = unique.map(tryParseTaskId);
  const tasks = await ctx.db.transaction(async (tx) => {
    const locked = await tx.query<LockedRow>(ctx.sql.lockMany, [seqs.filter((s) => s !== null)]);
    const bySeq = new Map(locked.map((row) => [Number(row.seq), row]));
    const items: Array<{ row: Row; after: Task }> = [];
    for (const [k, id] of unique.entries()) {
      const seq = seqs[k];
      const row = seq === null || seq === undefined ? undefined : bySeq.get(seq);
      if (!row) throw await notFound(ctx, id, tx);
      items.push({ row, after: T.completeTask(rowToTask(row), result, { now: row.now_ms }) });
    }
    return save(ctx, tx, items);
  });
  ctx.feed.publish([{ kind: "updated", seqs: tasks.map((t) => tryParseTaskId(t.id) as number) }]);
  return tasks;
}

export async function expireLeases(ctx: PgContext): Promise<Task[]> {
  ctx.assertOpen();
  const tasks = await ctx.db.transaction(async (tx) => {
    const rows = await tx.query<LockedRow>(ctx.sql.lockExpired);
    if (rows.length === 0) return [];
    return save(
      ctx,
      tx,
      rows.map((row) => ({ row, after: T.expireLease(rowToTask(row), row.now_ms) })),
    );
  });
  if (tasks.length > 0) {
    ctx.feed.publish([{ kind: "updated", seqs: tasks.map((t) => tryParseTaskId(t.id) as number) }]);
  }
  return tasks;
}
