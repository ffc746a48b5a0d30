/**
 * The scale-out store: many servers and workers on many machines share one PostgreSQL database.
 *
 * The operations, by kind: create.ts (add), read.ts (get, list, next, stats), hot-path.ts (claimNext
 * and a plain complete: single statements, batched when calls arrive together), locking.ts (every
 * other change: lock the rows, apply the domain's transition, write back), admin.ts (reset, clear).
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
import type { NewTask, Task, TaskStats } from "../../domain/task.js";
import { assertStorable } from "../../domain/text.js";
import type {
  ChangeListener,
  ClaimOptions,
  CreateResult,
  ImportResult,
  ImportRow,
  ListQuery,
  RetryOptions,
  RunStore,
  TaskPage,
  TaskPatch,
  TaskStore,
  WorkerOptions,
} from "../types.js";
import * as admin from "./admin.js";
import { connect, type PostgresStoreOptions } from "./connection.js";
import type { PgContext } from "./context.js";
import { insertTasks } from "./create.js";
import { Database } from "./db.js";
import * as edit from "./edit.js";
import { ChangeFeed } from "./feed.js";
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

export class PostgresTaskStore implements TaskStore {
  readonly kind = "postgres" as const;
  readonly location: string;
  readonly schema: string;
  readonly runs: RunStore;

  private readonly pool: pg.Pool;
  private readonly ident: string;
  private readonly ctx: PgContext;
  private readonly hot: HotPath;
  private closing: Promise<void> | null = null;

  constructor(options: PostgresStoreOptions) {
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
    this.ctx = { db, sql, feed, assertOpen: () => this.assertOpen() };
    this.hot = new HotPath(this.ctx);
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

  async create(input: NewTask): Promise<CreateResult> {
    const [result] = await insertTasks(this.ctx, [input]);
    return result as CreateResult;
  }

  createBatch(inputs: NewTask[]): Promise<CreateResult[]> {
    return insertTasks(this.ctx, inputs);
  }

  get(id: string): Promise<Task> {
    return read.getTask(this.ctx, id);
  }

  list(query: ListQuery = {}): Promise<TaskPage> {
    return read.listTasks(this.ctx, query);
  }

  peekNext(): Promise<Task | null> {
    return read.peekNext(this.ctx);
  }

  stats(): Promise<TaskStats> {
    return read.stats(this.ctx);
  }

  completeIds(prefix: string, limit = 20): Promise<string[]> {
    return read.completeIds(this.ctx, prefix, limit);
  }

  claimNext(options: ClaimOptions): Promise<Task | null> {
    return this.hot.claimNext(options);
  }

  async complete(id: string, result: string, options: WorkerOptions = {}): Promise<Task> {
    assertStorable("result", result);
    return this.hot.complete(id, result, options);
  }

  start(id: string, options: ClaimOptions): Promise<Task> {
    return locking.start(this.ctx, id, options);
  }

  renewLease(id: string, options: Required<ClaimOptions>): Promise<Task> {
    return locking.renewLease(this.ctx, id, options);
  }

  async fail(id: string, reason: string, options: WorkerOptions = {}): Promise<Task> {
    assertStorable("reason", reason);
    return locking.fail(this.ctx, id, reason, options);
  }

  async retry(id: string, feedback: string, options: RetryOptions = {}): Promise<Task> {
    assertStorable("feedback", feedback);
    return locking.retry(this.ctx, id, feedback, options);
  }

  release(id: string, options: WorkerOptions & { note?: string } = {}): Promise<Task> {
    return locking.release(this.ctx, id, options);
  }

  update(id: string, patch: TaskPatch): Promise<Task> {
    return edit.update(this.ctx, id, patch);
  }

  delete(id: string, options: { force?: boolean | undefined } = {}): Promise<Task> {
    return edit.remove(this.ctx, id, options.force === true);
  }

  reset(id: string): Promise<Task> {
    return edit.reset(this.ctx, id);
  }

  importTasks(rows: ImportRow[]): Promise<ImportResult> {
    return edit.importTasks(this.ctx, rows);
  }

  async completeBatch(ids: string[], result: string): Promise<Task[]> {
    assertStorable("result", result);
    return locking.completeBatch(this.ctx, ids, result);
  }

  expireLeases(): Promise<Task[]> {
    return locking.expireLeases(this.ctx);
  }

  resetAll(): Promise<number> {
    return admin.resetAll(this.ctx);
  }

  clearCompleted(): Promise<number> {
    return admin.clearCompleted(this.ctx);
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
