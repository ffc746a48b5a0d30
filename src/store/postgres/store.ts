/**
 * The scale-out store: many servers and workers on many machines share one PostgreSQL database.
 *
 * The operations, by kind: create.ts (add), read.ts (get, list, next, stats), hot-path.ts (claimNext
 * and a plain complete: single statements, batched when calls arrive together), locking.ts (every
 * other change: lock the rows, apply the domain's transition, write back), edit.ts (update, delete,
 * reset one, import), admin.ts (reset all, clear); ../operation-store.ts makes them the TaskStore
 * methods.
 * Their SQL is in sql/, one file per kind with its locking choices; connection.ts holds the options
 * and the pool, feed.ts the change feed (LISTEN/NOTIFY, kept out of the write transactions).
 *
 * Every value is a bound parameter. The schema name is the one identifier in the SQL text; it is
 * checked against a strict pattern and quoted. Driver and server errors leave through errors.ts,
 * retryable ones (a restart, a dropped connection, a deadlock victim) as StoreUnavailableError.
 */
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { StoreUnavailableError, storeFailed } from "../../domain/errors.js";
import { OperationStore, type TaskOperations } from "../operation-store.js";
import type { ChangeListener, RunStore, TaskStore } from "../types.js";
import * as admin from "./admin.js";
import { connect, type PostgresStoreOptions } from "./connection.js";
import type { PgContext } from "./context.js";
import * as create from "./create.js";
import { Database } from "./db.js";
import * as edit from "./edit.js";
import { ChangeFeed } from "./feed.js";
import * as hotPath from "./hot-path.js";
import { HotPath } from "./hot-path.js";
import * as locking from "./locking.js";
import { migrate } from "./migrations.js";
import * as read from "./read.js";
import { PostgresRunStore } from "./runs.js";
import { buildStatements } from "./sql/index.js";

export type { PostgresStoreOptions } from "./connection.js";

/** Open (and migrate) the store; fails with a retryable StoreUnavailableError when PostgreSQL is down. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresTaskStore> {
  const store = new PostgresTaskStore(options);
  try {
    await store.open();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

export class PostgresTaskStore extends OperationStore<PgContext> implements TaskStore {
  readonly kind = "postgres" as const;
  readonly location: string;
  readonly schema: string;
  readonly runs: RunStore;

  private readonly pool: pg.Pool;
  private readonly ident: string;
  protected readonly ctx: PgContext;
  protected readonly ops: TaskOperations<PgContext> = {
    ...create,
    ...read,
    ...locking,
    ...hotPath,
    ...edit,
    ...admin,
  };
  private closing: Promise<void> | null = null;

  constructor(options: PostgresStoreOptions) {
    super();
    const connection = connect(options);
    this.schema = connection.schema;
    this.ident = connection.ident;
    this.location = connection.location;
    this.pool = connection.pool;
    const db = new Database(this.pool, this.location);
    const sql = buildStatements(this.ident);
    const feed = new ChangeFeed({
      pool: this.pool,
      clientConfig: connection.clientConfig,
      channel: `ralph_changes_${this.schema}`,
      origin: randomUUID(),
    });
    const ctx = { db, sql, feed, assertOpen: () => this.assertOpen() } as PgContext;
    ctx.hot = new HotPath(ctx);
    this.ctx = ctx;
    this.runs = new PostgresRunStore(db, sql, () => this.assertOpen());
  }

  /** Migrate the schema and start listening for other servers' changes. */
  async open(): Promise<void> {
    await migrate(this.ctx.db, this.schema, this.ident);
    try {
      await this.ctx.feed.start();
    } catch (error) {
      throw new StoreUnavailableError(
        `The PostgreSQL task store (${this.location}) could not open its change-feed connection.`,
        error,
      );
    }
  }

  private assertOpen(): void {
    if (this.closing) throw storeFailed("The task store is closed.");
  }

  onChange(listener: ChangeListener): () => void {
    return this.ctx.feed.onChange(listener);
  }

  /** Whether this store currently hears other servers' changes (its LISTEN connection is up). */
  get listening(): boolean {
    return this.ctx.feed.listening;
  }

  /** Single-flight: a second close() waits for the first instead of ending the pool twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.ctx.feed.close();
      await this.pool.end().catch(() => {});
    })();
    return this.closing;
  }
}
