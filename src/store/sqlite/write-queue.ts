/**
 * Group commit for the SQLite store: every write is queued, and the queue is committed in one
 * `BEGIN IMMEDIATE` transaction per event-loop turn, each operation inside its own savepoint so one
 * bad call fails alone (a lone operation needs no savepoint: its failure rolls the transaction
 * back). A promise resolves only after COMMIT returned, so what was acknowledged is in the WAL.
 * The write lock is taken up front and, when another process holds it, polled at short random
 * intervals (write-lock.ts) instead of SQLite's growing back-off, which starves writers.
 */

import { storeFailed } from "../../domain/errors.js";
import type { ChangeRecord } from "../changes.js";
import type { SqliteDatabase, SqliteStatement } from "./driver.js";
import { acquireWriteLock } from "./write-lock.js";

/** One operation: runs inside the write transaction and reports what it changed in `changes`. */
export type WriteOp<R> = (changes: ChangeRecord[]) => R;

interface WriteQueueHooks {
  /** Inside the operation's savepoint, after it succeeded: persist its change records. */
  record(changes: ChangeRecord[]): void;
  /** Inside the transaction, just before COMMIT. */
  beforeCommit(): void;
  /** After COMMIT, with every committed operation's changes in order. */
  committed(changes: ChangeRecord[]): void;
}

interface Queued {
  run: WriteOp<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class WriteQueue {
  private readonly queue: Queued[] = [];
  private readonly commit: SqliteStatement;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly busyTimeoutMs: number,
    private readonly hooks: WriteQueueHooks,
  ) {
    this.commit = db.prepare("COMMIT");
  }

  /** Queue a write; it commits with the others queued in this event-loop turn. */
  write<R>(run: WriteOp<R>): Promise<R> {
    if (this.closed) return Promise.reject(storeFailed("The task store is closed."));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commit what is queued now, then refuse further writes. */
  close(): void {
    if (this.closed) return;
    if (this.queue.length > 0) this.flush();
    this.closed = true;
  }

  private flush(): void {
    this.scheduled = false;
    const ops = this.queue.splice(0);
    if (ops.length === 0) return;
    try {
      acquireWriteLock(this.db, this.busyTimeoutMs);
    } catch (error) {
      for (const op of ops) op.reject(error);
      return;
    }
    const isolated = ops.length > 1;
    const outcomes: Outcome[] = [];
    const allChanges: ChangeRecord[] = [];
    for (const op of ops) {
      const changes: ChangeRecord[] = [];
      if (isolated) this.db.exec("SAVEPOINT op");
      try {
        const value = op.run(changes);
        this.hooks.record(changes);
        if (isolated) this.db.exec("RELEASE op");
        outcomes.push({ ok: true, value });
        allChanges.push(...changes);
      } catch (error) {
        if (isolated) {
          this.db.exec("ROLLBACK TO op");
          this.db.exec("RELEASE op");
        }
        outcomes.push({ ok: false, error });
      }
    }
    try {
      if (!isolated && outcomes[0]?.ok === false) {
        this.db.exec("ROLLBACK");
      } else {
        this.hooks.beforeCommit();
        this.commit.run();
      }
    } catch (error) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      for (const op of ops) op.reject(error);
      return;
    }
    ops.forEach((op, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) op.resolve(outcome.value);
      else op.reject(outcome?.error);
    });
    this.hooks.committed(allChanges);
  }
}
