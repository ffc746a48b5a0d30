/**
 * Taking SQLite's write lock fairly across processes. The store's writes wait for it without
 * blocking the event loop (acquireWriteLockAsync); the blocking form is for start-up (migrations).
 *
 * SQLite's own busy handler sleeps 1, 2, 5, 10 … 100 ms between tries. Under steady contention a
 * writer that has backed off to long sleeps keeps missing the short windows in which the lock is
 * free, while the writer that just committed takes it again at once: measured with 4 processes,
 * one got almost nothing while another did half the work. Here the busy timeout is 0 and a
 * waiting writer polls every 50–250 µs (random, so waiters do not move in step), which keeps each
 * waiter's chance of getting the lock about equal and the p99 wait short.
 */

import { StoreUnavailableError } from "../../domain/errors.js";
import { isBusyError, type SqliteDatabase, type SqliteStatement } from "./driver.js";

const beginStatements = new WeakMap<SqliteDatabase, SqliteStatement>();
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Block this thread for `ms` milliseconds (fractions allowed) without spinning the CPU. */
function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

function busyFor(timeoutMs: number, cause: unknown): StoreUnavailableError {
  return new StoreUnavailableError(
    `The task database stayed locked by another process for ${timeoutMs} ms.`,
    cause,
  );
}

/** When this connection last found the lock taken (contention seen recently → be polite). */
const lastBusyAt = new WeakMap<SqliteDatabase, number>();

/**
 * `BEGIN IMMEDIATE`, waiting for the write lock as described above. A writer that found the lock
 * taken in the last 100 ms first steps back for 50–250 µs: without that, the writer that just
 * committed re-takes the lock before a waiter the OS wakes late (a loaded machine) gets its turn,
 * and one process can starve the others.
 */
export function acquireWriteLock(db: SqliteDatabase, timeoutMs: number): void {
  const begin = beginStatements.get(db) ?? db.prepare("BEGIN IMMEDIATE");
  beginStatements.set(db, begin);
  const busyAt = lastBusyAt.get(db);
  if (busyAt !== undefined && performance.now() - busyAt < 100) sleepSync(0.05 + Math.random() * 0.2);
  try {
    begin.run();
    return;
  } catch (error) {
    if (!isBusyError(error)) throw error;
    lastBusyAt.set(db, performance.now());
  }
  withBusyRetry(timeoutMs, () => begin.run());
}

/**
 * `BEGIN IMMEDIATE` without holding up the event loop for long: while another process holds the
 * lock, this thread waits in sub-millisecond sleeps for at most SYNC_WAIT_MS in all (the usual
 * case: another writer's commit), then tries every ~1 ms on timers, so reads, other sessions and
 * /healthz go on answering and only the writes waiting for the lock are delayed. Rejects with a
 * rolled-back StoreUnavailableError after `timeoutMs`.
 *
 * Why sleep at first rather than yield to the event loop: a waiter that polls every turn burns the
 * CPU the lock's holder needs to commit (four writers on two cores), and a waiter on ~1 ms timers
 * keeps missing the short windows between another writer's commits. Both let one process starve
 * the others (the 4-process fairness test in test/store/sqlite-processes.test.ts).
 */
export async function acquireWriteLockAsync(db: SqliteDatabase, timeoutMs: number): Promise<void> {
  const begin = beginStatements.get(db) ?? db.prepare("BEGIN IMMEDIATE");
  beginStatements.set(db, begin);
  // A writer that found the lock taken in the last 100 ms steps back first (see acquireWriteLock).
  if (recentlyBusy(db)) sleepSync(0.05 + Math.random() * 0.2);
  const started = performance.now();
  const deadline = started + timeoutMs;
  for (;;) {
    try {
      begin.run();
      return;
    } catch (error) {
      if (!isBusyError(error)) throw error;
      lastBusyAt.set(db, performance.now());
      if (performance.now() > deadline) throw busyFor(timeoutMs, error);
    }
    if (performance.now() < started + SYNC_WAIT_MS) sleepSync(0.05 + Math.random() * 0.2);
    else await new Promise<void>((resolve) => setTimeout(resolve, 0.5 + Math.random()));
  }
}

/** How long a write may wait for the lock in short blocking sleeps before it waits on timers. */
const SYNC_WAIT_MS = 5;

function recentlyBusy(db: SqliteDatabase): boolean {
  const busyAt = lastBusyAt.get(db);
  return busyAt !== undefined && performance.now() - busyAt < 100;
}

/**
 * One try at `BEGIN IMMEDIATE`: true when the lock is held now, false when another process has it
 * (or had it in the last 100 ms: then the caller waits a turn, as acquireWriteLock steps back).
 */
export function tryWriteLock(db: SqliteDatabase): boolean {
  if (recentlyBusy(db)) return false;
  const begin = beginStatements.get(db) ?? db.prepare("BEGIN IMMEDIATE");
  beginStatements.set(db, begin);
  try {
    begin.run();
    return true;
  } catch (error) {
    if (!isBusyError(error)) throw error;
    lastBusyAt.set(db, performance.now());
    return false;
  }
}

/** Run `fn`, trying again while SQLite answers busy, for at most `timeoutMs`. */
export function withBusyRetry<R>(timeoutMs: number, fn: () => R): R {
  let deadline = 0;
  for (;;) {
    try {
      return fn();
    } catch (error) {
      if (!isBusyError(error)) throw error;
      const now = performance.now();
      if (deadline === 0) deadline = now + timeoutMs;
      else if (now > deadline) throw busyFor(timeoutMs, error);
      sleepSync(0.05 + Math.random() * 0.2);
    }
  }
}
