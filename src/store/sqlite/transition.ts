/**
 * Changing one task in the SQLite store: inside a queued write, read the row, apply the domain's
 * transition (src/domain/transitions.ts, where the rules live), write it back, and keep the
 * dependents' `unmet_deps` right. Claims, completions, failures, retries, releases, lease renewal
 * and expiry all take this path.
 */

import { LEASE_RECOVERY_MS } from "../../domain/claim.js";
import { formatTaskId, tryParseTaskId } from "../../domain/ids.js";
import type { Task } from "../../domain/task.js";
import * as T from "../../domain/transitions.js";
import { validateIdBatch } from "../../domain/validate.js";
import type { ChangeRecord } from "../changes.js";
import { type ClaimOptions, DEFAULT_LEASE_MS, type RetryOptions, type WorkerOptions } from "../types.js";
import type { SqliteContext } from "./context.js";
import { mustGet } from "./read.js";
import { type Row, rowToTask } from "./rows.js";

/** Write a transitioned task back, keeping dependents' unmet counts right. */
function save(ctx: SqliteContext, before: Row, after: Task, changes: ChangeRecord[]): Task {
  ctx.stmt.update.run({
    seq: before.seq,
    status: after.status,
    attempts: after.attempts,
    result: after.result,
    failure_reason: after.failure_reason,
    feedback: JSON.stringify(after.feedback),
    started_at: after.started_at,
    completed_at: after.completed_at,
    updated_at: after.updated_at,
    lease_expires_at: after.lease_expires_at,
    claimed_by: after.claimed_by,
    not_before: after.not_before,
  });
  const wasDone = before.status === "completed";
  const isDone = after.status === "completed";
  if (wasDone !== isDone) ctx.stmt.adjustDependents.run(isDone ? -1 : 1, before.seq);
  changes.push({ kind: "updated", seqs: [before.seq] });
  return after;
}

export function transition(
  ctx: SqliteContext,
  id: string,
  apply: (task: Task, row: Row) => Task,
): Promise<Task> {
  return ctx.write((changes) => {
    const row = mustGet(ctx, id);
    return save(ctx, row, apply(rowToTask(row), row), changes);
  });
}

/** Expire leases that ran out, inside the current write. */
function expireDue(ctx: SqliteContext, now: number, changes: ChangeRecord[]): Task[] {
  const due = ctx.stmt.expired.all(new Date(now).toISOString());
  return due.map((row) => save(ctx, row, T.expireLease(rowToTask(row), now), changes));
}

export function claimNext(ctx: SqliteContext, options: ClaimOptions): Promise<Task | null> {
  const state = ctx.claimState;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  return ctx.write((changes) => {
    const now = ctx.clock.now();
    // Stalled claims go back in line as the domain says (src/domain/claim.ts): now and then before
    // claiming, and whenever nothing is eligible.
    const due = now - state.lastExpiryCheck >= LEASE_RECOVERY_MS;
    if (due) {
      state.lastExpiryCheck = now;
      expireDue(ctx, now, changes);
    }
    // One statement: the head of the queue, started as CLAIM_WRITES says (statements.ts).
    const params = {
      now: new Date(now).toISOString(),
      lease_end: new Date(now + leaseMs).toISOString(),
      worker: options.workerId,
    };
    let row = ctx.stmt.claim.get(params);
    if (!row && !due && expireDue(ctx, now, changes).some((t) => t.status === "pending")) {
      row = ctx.stmt.claim.get(params);
    }
    if (!row) return null;
    changes.push({ kind: "updated", seqs: [row.seq] });
    return rowToTask(row);
  });
}

export function start(ctx: SqliteContext, id: string, options: ClaimOptions): Promise<Task> {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  return transition(ctx, id, (task, row) =>
    T.startTask(task, {
      workerId: options.workerId,
      leaseMs,
      now: ctx.clock.now(),
      unmetDependencies:
        row.unmet_deps > 0 ? ctx.stmt.unmetDeps.all(row.seq).map((r) => formatTaskId(r.seq)) : [],
    }),
  );
}

export function renewLease(ctx: SqliteContext, id: string, options: Required<ClaimOptions>): Promise<Task> {
  return transition(ctx, id, (task) =>
    T.renewLease(task, { now: ctx.clock.now(), workerId: options.workerId, leaseMs: options.leaseMs }),
  );
}

export function complete(
  ctx: SqliteContext,
  id: string,
  result: string,
  options: WorkerOptions,
): Promise<Task> {
  return ctx.write((changes) => {
    const now = ctx.clock.now();
    const seq = tryParseTaskId(id);
    // The common case in one statement (statements.ts completeOne); otherwise the domain decides.
    const done =
      seq === null
        ? undefined
        : ctx.stmt.completeOne.get({
            seq,
            now: new Date(now).toISOString(),
            result,
            worker: options.workerId ?? null,
            require_held: options.requireHeld ? 1 : 0,
          });
    if (done) {
      ctx.stmt.adjustDependents.run(-1, done.seq);
      changes.push({ kind: "updated", seqs: [done.seq] });
      return rowToTask(done);
    }
    const row = mustGet(ctx, id);
    return save(ctx, row, T.completeTask(rowToTask(row), result, { now, ...options }), changes);
  });
}

export function completeBatch(ctx: SqliteContext, ids: string[], result: string): Promise<Task[]> {
  let unique: string[];
  try {
    unique = validateIdBatch(ids);
  } catch (error) {
    return Promise.reject(error);
  }
  return ctx.write((changes) => {
    const now = ctx.clock.now();
    return unique.map((id) => {
      const row = mustGet(ctx, id);
      return save(ctx, row, T.completeTask(rowToTask(row), result, { now }), changes);
    });
  });
}

export function fail(ctx: SqliteContext, id: string, reason: string, options: WorkerOptions): Promise<Task> {
  return transition(ctx, id, (task) => T.failTask(task, reason, { now: ctx.clock.now(), ...options }));
}

export function retry(
  ctx: SqliteContext,
  id: string,
  feedback: string,
  options: RetryOptions,
): Promise<Task> {
  return transition(ctx, id, (task) => T.retryTask(task, feedback, { now: ctx.clock.now(), ...options }));
}

export function release(
  ctx: SqliteContext,
  id: string,
  options: WorkerOptions & { note?: string },
): Promise<Task> {
  return transition(ctx, id, (task) => T.releaseTask(task, { now: ctx.clock.now(), ...options }));
}

export function expireLeases(ctx: SqliteContext): Promise<Task[]> {
  return ctx.write((changes) => expireDue(ctx, ctx.clock.now(), changes));
}
