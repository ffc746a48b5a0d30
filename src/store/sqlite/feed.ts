/**
 * The SQLite store's change feed (as postgres/feed.ts is PostgreSQL's): every write records its
 * changes in the `changes` table inside its own transaction (record), this process's listeners
 * hear them once committed (publish), and while anyone listens the table is polled for other
 * processes' rows whenever `PRAGMA data_version` moves. A reader that fell behind the pruning
 * hears `{kind: "reset", taskIds: null}`.
 */
import { Emitter } from "../../emitter.js";
import { type ChangeRecord, toChangeEvent } from "../changes.js";
import type { ChangeEvent, ChangeListener } from "../types.js";
import type { SqliteDatabase } from "./driver.js";
import type { Statements } from "./statements.js";

/** Keep this many change rows; a reader further behind than that resynchronises. */
const CHANGES_KEPT = 10_000;
const PRUNE_EVERY = 1_000;

export class SqliteChangeFeed {
  private readonly listeners = new Emitter<ChangeEvent>();
  private pollTimer: NodeJS.Timeout | null = null;
  private lastDataVersion = 0;
  private lastChangeSeq: number;
  private commitsSincePrune = 0;
  private closed = false;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly stmt: Statements,
    /** This store object's id, so it can skip its own rows. */
    private readonly origin: string,
    /** How often to look for other processes' changes while someone listens. */
    private readonly pollMs: number,
  ) {
    this.lastChangeSeq = stmt.maxChange.get()?.s ?? 0;
  }

  /** Inside a write transaction: persist changes for the other processes. */
  record(changes: readonly ChangeRecord[]): void {
    for (const c of changes) {
      this.stmt.insertChange.run(this.origin, c.kind, c.seqs === null ? null : JSON.stringify(c.seqs));
    }
  }

  /** Inside a write transaction, before COMMIT: now and then drop old rows. */
  prune(): void {
    if (++this.commitsSincePrune < PRUNE_EVERY) return;
    this.commitsSincePrune = 0;
    this.stmt.pruneChanges.run(CHANGES_KEPT);
  }

  /** After COMMIT: tell this process's listeners. */
  publish(changes: readonly ChangeRecord[]): void {
    for (const change of changes) this.emit(toChangeEvent(change, false));
  }

  onChange(listener: ChangeListener): () => void {
    const off = this.listeners.on(listener);
    if (!this.pollTimer && !this.closed) {
      this.lastDataVersion = this.db.pragma("data_version", { simple: true }) as number;
      this.pollTimer = setInterval(() => this.poll(), this.pollMs);
      this.pollTimer.unref();
    }
    return () => {
      off();
      if (this.listeners.size === 0 && this.pollTimer) {
        clearInterval(this.pollTimer);
        this.pollTimer = null;
      }
    };
  }

  close(): void {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    this.listeners.clear();
  }

  private emit(event: ChangeEvent): void {
    this.listeners.emit(event);
  }

  /** Another connection committed when data_version moves; read the change rows it wrote. */
  private poll(): void {
    if (this.closed) return;
    let version: number;
    try {
      version = this.db.pragma("data_version", { simple: true }) as number;
    } catch {
      return;
    }
    if (version === this.lastDataVersion) return;
    try {
      const oldest = this.stmt.minChange.get()?.s ?? null;
      if (oldest !== null && oldest > this.lastChangeSeq + 1 && this.lastChangeSeq > 0) {
        this.emit({ kind: "reset", taskIds: null, remote: true }); // we fell behind the pruning
      }
      for (;;) {
        const rows = this.stmt.changesAfter.all(this.lastChangeSeq);
        for (const row of rows) {
          this.lastChangeSeq = row.seq;
          if (row.origin === this.origin) continue;
          const seqs: number[] | null = row.task_seqs === null ? null : JSON.parse(row.task_seqs);
          this.emit(toChangeEvent({ kind: row.kind, seqs }, true));
        }
        if (rows.length < 1000) break;
      }
      this.lastDataVersion = version; // only now: after a failed read the next tick tries again
    } catch {
      // Busy or closing: the next tick tries again from the same place.
    }
  }
}
