/** What the PostgreSQL store's operations share: the database, its statements, the change feed. */
import type { Database } from "./db.js";
import type { ChangeFeed } from "./feed.js";
import type { Statements } from "./sql/index.js";

export interface PgContext {
  readonly db: Database;
  readonly sql: Statements;
  readonly feed: ChangeFeed;
  /** Throws once the store is closing. */
  assertOpen(): void;
}
