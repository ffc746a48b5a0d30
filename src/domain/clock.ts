/**
 * Where time comes from. The SQLite store and the run loop take a Clock instead of reading
 * Date.now themselves, so a test can move time (a 15-minute lease expires at once) instead of
 * waiting for it. (PostgreSQL takes its time from the database clock on purpose: many machines
 * share one queue, and a lease taken on one is judged expired on another; store/postgres/sql/time.ts.)
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolve after `ms`, or reject with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The part of a Clock a store needs. */
export type StoreClock = Pick<Clock, "now">;

export const wallClock: StoreClock = { now: () => Date.now() };
