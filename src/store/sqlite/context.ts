/** What the SQLite store's operations share: the connection, its statements, the write queue. */
import type { StoreClock } from "../../domain/clock.js";
import type { SqliteDatabase } from "./driver.js";
import type { Statements } from "./statements.js";
import type { WriteOp } from "./write-queue.js";

export interface SqliteContext {
  readonly db: SqliteDatabase;
  readonly stmt: Statements;
  /** Where every time the store writes comes from. */
  readonly clock: StoreClock;
  /** Queue a write (write-queue.ts); resolves once committed. */
  write<R>(op: WriteOp<R>): Promise<R>;
  /** When a claim last looked for expired leases (src/domain/claim.ts: LEASE_RECOVERY_MS). */
  readonly claimState: { lastExpiryCheck: number };
  /** Run a read against the last committed state, retrying while another process is busy. */
  read<R>(fn: () => R): R;
}
