/**
 * The embedded store: one SQLite file (WAL) that several processes may share, through node:sqlite or
 * better-sqlite3 (driver.ts).
 *
 * Writes go through the group-commit queue (write-queue.ts): one transaction per event-loop turn,
 * a savepoint per operation, acknowledged only after COMMIT. Reads run outside the queue against
 * the last committed state (WAL readers never block). The operations, by kind: create.ts (add),
 * read.ts (get, list, next, stats), transition.ts (claim, start, complete, fail, retry, release,
 * leases), edit.ts (update, delete, reset one, import), admin.ts (reset all, clear); their SQL is in
 * statements.ts, the change feed in feed.ts. ../operation-store.ts makes them the TaskStore methods.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { type StoreClock, wallClock } from "../../domain/clock.js";
import { isRalphError, type RalphError, storeFailed } from "../../domain/errors.js";
import { OperationStore, type TaskOperations } from "../operation-store.js";
import type { ChangeListener, RunStore, TaskStore } from "../types.js";
import * as admin from "./admin.js";
import type { SqliteContext } from "./context.js";
import * as create from "./create.js";
import { openSqliteDatabase, type SqliteDatabase, type SqliteDriverName } from "./driver.js";
import * as edit from "./edit.js";
import { SqliteChangeFeed } from "./feed.js";
import { MIGRATIONS } from "./migrations.js";
import * as read from "./read.js";
import { SqliteRunStore } from "./runs.js";
import { prepareStatements } from "./statements.js";
import * as transition from "./transition.js";
import { acquireWriteLock, withBusyRetry } from "./write-lock.js";
import { type WriteOp, WriteQueue } from "./write-queue.js";

export interface SqliteStoreOptions {
  /** The database file; created with its folder when missing. */
  path: string;
  /**
   * PRAGMA synchronous. Default "normal": in WAL mode a commit is in the WAL file before it
   * returns, so a killed process loses nothing; only an OS crash or power cut can lose the last
   * commits. "full" syncs the WAL on every commit (survives power loss, ~10x slower here).
   */
  synchronous?: "normal" | "full";
  /** How long a write waits for another process's write lock before failing (default 10 s). */
  busyTimeoutMs?: number;
  /** How often to look for other processes' changes while someone listens (default 100 ms). */
  changePollMs?: number;
  /** The SQLite driver; default RALPH_SQLITE_DRIVER, else by the Node version (driver.ts). */
  driver?: SqliteDriverName | undefined;
  /** Where the times it writes (leases, timestamps) come from (default: the wall clock). */
  clock?: StoreClock;
}

/** The device and inode of the file at `path`, or null when there is none (or it is ":memory:"). */
function fileIdentity(path: string): { dev: number; ino: number } | null {
  if (path === ":memory:") return null;
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat ? { dev: stat.dev, ino: stat.ino } : null;
}

/** Why the store cannot open, naming the file and the setting that chose it. */
function cannotOpen(path: string, error: unknown): RalphError {
  const code = (error as { code?: unknown }).code;
  const readOnly =
    (typeof code === "string" && /^(SQLITE_READONLY|SQLITE_CANTOPEN|EACCES|EROFS|EPERM)/.test(code)) ||
    /readonly|read-only|permission denied/i.test((error as Error).message ?? "");
  const why = readOnly
    ? "the file or its folder cannot be written (the store needs to write both: its data, and its journal next to it)"
    : (error as Error).message;
  return storeFailed(
    `Cannot open the task database at ${path}: ${why}${typeof code === "string" ? ` (${code})` : ""}. ` +
      "Make it writable, or set RALPH_DB (or --db) to a file path in a folder this user can write.",
    error,
  );
}

export function openSqliteStore(options: SqliteStoreOptions): SqliteTaskStore {
  return new SqliteTaskStore(options);
}

export class SqliteTaskStore extends OperationStore<SqliteContext> implements TaskStore {
  readonly kind = "sqlite" as const;
  readonly location: string;
  readonly runs: RunStore;

  /** Which SQLite driver serves this store. */
  readonly driver: SqliteDriverName;
  private readonly db: SqliteDatabase;
  private readonly busyTimeoutMs: number;
  protected readonly ctx: SqliteContext;
  protected readonly ops: TaskOperations<SqliteContext> = {
    ...create,
    ...read,
    ...transition,
    ...edit,
    ...admin,
  };
  private readonly queue: WriteQueue;
  private readonly feed: SqliteChangeFeed;
  private closed = false;
  /** The database file this store opened (device and inode), null for ":memory:". */
  private readonly file: { dev: number; ino: number } | null;

  constructor(options: SqliteStoreOptions) {
    super();
    this.location = options.path;
    this.busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    let db: SqliteDatabase | undefined;
    try {
      if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
      db = openSqliteDatabase(options.path, { driver: options.driver });
      this.db = db;
      withBusyRetry(this.busyTimeoutMs, () => db?.pragma("journal_mode = WAL"));
      db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
      db.pragma("cache_size = -8000");
      this.migrate();
    } catch (error) {
      try {
        db?.close();
      } catch {
        // it is being given up anyway
      }
      throw isRalphError(error) ? error : cannotOpen(options.path, error);
    }
    this.driver = this.db.driver;
    this.file = fileIdentity(options.path);
    const stmt = prepareStatements(this.db);
    const feed = new SqliteChangeFeed(this.db, stmt, randomUUID(), options.changePollMs ?? 100);
    this.feed = feed;
    this.queue = new WriteQueue(this.db, this.busyTimeoutMs, {
      record: (changes) => feed.record(changes),
      beforeCommit: () => {
        this.assertSameFile();
        feed.prune();
      },
      committed: (changes) => feed.publish(changes),
    });
    const write = <R>(fn: WriteOp<R>) => this.queue.write(fn);
    const readFn = <R>(fn: () => R): R => {
      if (this.closed) throw storeFailed("The task store is closed.");
      return withBusyRetry(this.busyTimeoutMs, fn);
    };
    const clock = options.clock ?? wallClock;
    this.ctx = { db: this.db, stmt, clock, write, read: readFn, claimState: { lastExpiryCheck: 0 } };
    this.runs = new SqliteRunStore(this.db, (fn) => write(fn), readFn, clock);
  }

  /**
   * Refuse to commit into a file that is no longer the one at our path (deleted, or replaced by
   * another): what we acknowledged would be gone at exit, and another process on the path would
   * start a fresh store and hand out the same task ids again.
   */
  private assertSameFile(): void {
    if (this.file === null) return;
    const now = fileIdentity(this.location);
    if (now !== null && now.dev === this.file.dev && now.ino === this.file.ino) return;
    throw storeFailed(
      `The task database ${this.location} was ${now === null ? "deleted" : "replaced by another file"} while this server was running; ` +
        "writes are refused so that nothing is acknowledged into a file that is gone. Restart the server (it opens the file now at that path), or set RALPH_DB to where the tasks are.",
    );
  }

  private migrate(): void {
    const current = this.db.pragma("user_version", { simple: true }) as number;
    const latest = MIGRATIONS.at(-1)?.version ?? 0;
    if (current > latest) {
      throw storeFailed(
        `The task database ${this.location} has schema version ${current}, newer than this ralph-mcp knows (${latest}). Upgrade ralph-mcp.`,
      );
    }
    if (current === latest) return;
    acquireWriteLock(this.db, this.busyTimeoutMs);
    try {
      // Another process may have migrated while we waited for the lock.
      const now = this.db.pragma("user_version", { simple: true }) as number;
      for (const m of MIGRATIONS) {
        if (m.version <= now) continue;
        this.db.exec(m.sql);
        this.db.pragma(`user_version = ${m.version}`);
      }
      this.db.exec("COMMIT");
    } catch (error) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
  }

  onChange(listener: ChangeListener): () => void {
    return this.feed.onChange(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.close();
    this.feed.close();
    this.db.close();
  }
}
