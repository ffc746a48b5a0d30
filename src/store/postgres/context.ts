/** What the PostgreSQL store's operations share: the database, its statements, the change feed. */
import type { Database } from "./db.js";
import type { ChangeFeed } from "./feed.js";
import type { HotPath } from "./hot-path.js";
import type { Statements } from "./sql/index.js";

export interface PgContext {
  readonly db: Database;
  readonly sql: Statements;
  readonly feed: ChangeFeed;
  /** The batched single-statement claim and completion (hot-path.ts); one per store object. */
  hot: HotPath;
  /** Throws once the store is closing. */
  assertOpen(): void;
}
