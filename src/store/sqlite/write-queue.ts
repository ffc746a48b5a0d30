/**
 * Group commit for the SQLite store: every write is queued, and the queue is committed in one
 * `BEGIN IMMEDIATE` transaction per event-loop turn, each operation inside its own savepoint so one
 * bad call fails alone (a lone operation needs no savepoint: its failure rolls the transaction
 * back). A promise resolves only after COMMIT returned, so what was acknowledged is in the WAL.
 * The write lock is taken up front and, when another process holds it, waited for without
 * blocking the event loop (write-lock.ts): reads and other callers go on meanwhile, and the writes
 * queued while waiting join the same commit.
 */

import { storeFailed } from "../../domain/errors.js";
import type { ChangeRecord } from "../changes.js";
import type { SqliteDatabase, SqliteStatement } from "./driver.js";
import { acquireWriteLockAsync, tryWriteLock } from "./write-lock.js";

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
  /** Set while waiting for another process to let go of the write lock; writes queued meanwhile join. */
  private waiting: Promise<void> | null = null;

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

  /** Commit what is queued now (waiting for the lock if another process holds it), then refuse further writes. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.queue.length > 0) this.flush();
    this.closed = true;
    await this.waiting;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.waiting !== null || this.queue.length === 0) return;
    let locked: boolean;
    try {
      locked = tryWriteLock(this.db);
    } catch (error) {
      for (const op of this.queue.splice(0)) op.reject(error);
      return;
    }
    if (locked) {
      this.commitQueued();
      return;
    }
    // Another process writes: wait for the lock without holding up the event loop.
    this.waiting = acquireWriteLockAsync(this.db, this.busyTimeoutMs).then(
      () => {
        this.waiting = null;
        this.commitQueued();
      },
      (error) => {
        this.waiting = null;
        for (const op of this.queue.splice(0)) op.reject(error);
      },
    );
  }

  /** With the write lock held: run every queued operation and commit them together. */
  private commitQueued(): void {
    const ops = this.queue.splice(0);
    if (ops.length === 0) {
      this.db.exec("ROLLBACK");
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
        if (isolated && !this.undoOne()) {
          // SQLite ended the whole transaction (disk full, an I/O error): the writes before this
          // one went with it, so none of the batch is acknowledged.
          for (const each of ops) each.reject(error);
          return;
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

  /** Undo one write of a batch; false when there is no transaction left to undo it in. */
  private undoOne(): boolean {
    try {
      this.db.exec("ROLLBACK TO op");
      this.db.exec("RELEASE op");
      return true;
    } catch {
      if (this.db.inTransaction) {
        try {
          this.db.exec("ROLLBACK");
        } catch {}
      }
      return false;
    }
  }
}
