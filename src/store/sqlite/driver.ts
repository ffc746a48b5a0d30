/**
 * The SQLite driver seam: the store talks to one small connection interface, served by Node's
 * built-in `node:sqlite` (Node >= 22.13, no native module to build or ship) or by better-sqlite3
 * (Node 20, an optional dependency). Same SQL, same file format, same WAL: a database written
 * through one opens with the other.
 *
 * Choice: RALPH_SQLITE_DRIVER=node|better-sqlite3 forces one; otherwise node:sqlite where the
 * runtime has it unflagged (>= 22.13), else better-sqlite3. The choice is logged at debug level.
 *
 * Both drivers' statements already share the calls the store makes (run/get/all with positional
 * or @named parameters; run returns changes and lastInsertRowid), so a statement is the driver's
 * own object, unwrapped: no cost per call. What differs is bridged here once: PRAGMA reads,
 * "in a transaction?", busy errors, and node:sqlite's experimental warning on stderr.
 */
import { createRequire } from "node:module";
import { RalphError, ValidationError } from "../../domain/errors.js";
import { log } from "../../log.js";

export type SqliteDriverName = "node" | "better-sqlite3";
export const SQLITE_DRIVERS: readonly SqliteDriverName[] = ["node", "better-sqlite3"];

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** A prepared statement; `P` are its parameters, `R` one row. */
export interface SqliteStatement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
}

export interface SqliteDatabase {
  readonly driver: SqliteDriverName;
  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqliteStatement<P, R>;
  exec(sql: string): void;
  /** `PRAGMA <source>`; with `simple`, the first column of the first row (as better-sqlite3 does). */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  /** Whether a transaction is open on this connection. */
  readonly inTransaction: boolean;
  close(): void;
}

/** node:sqlite's DatabaseSync, as far as used here (its types are not in @types/node 20). */
interface NodeDatabaseSync {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  close(): void;
  readonly isTransaction?: boolean;
}
type NodeSqliteModule = {
  DatabaseSync: new (
    path: string,
    options?: { timeout?: number; enableForeignKeyConstraints?: boolean; readOnly?: boolean },
  ) => NodeDatabaseSync;
};
interface BetterSqliteDatabase extends Omit<SqliteDatabase, "driver"> {}
type BetterSqliteConstructor = new (
  path: string,
  options?: { timeout?: number; readonly?: boolean },
) => BetterSqliteDatabase;

const require = createRequire(import.meta.url);

/** Whether this runtime has node:sqlite without a flag (Node >= 22.13, or any later line). */
export function hasBuiltinSqlite(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 22 || (major === 22 && minor >= 13);
}

/** The driver RALPH_SQLITE_DRIVER names, else the one this runtime should use. */
export function chooseDriver(env: NodeJS.ProcessEnv = process.env): SqliteDriverName {
  const forced = env.RALPH_SQLITE_DRIVER?.trim();
  if (forced) {
    if ((SQLITE_DRIVERS as readonly string[]).includes(forced)) return forced as SqliteDriverName;
    throw new ValidationError(
      `RALPH_SQLITE_DRIVER must be node or better-sqlite3 (got "${forced.slice(0, 40)}"); unset it to choose by the Node version.`,
    );
  }
  return hasBuiltinSqlite() ? "node" : "better-sqlite3";
}

let nodeSqlite: NodeSqliteModule | undefined;
function loadNodeSqlite(): NodeSqliteModule {
  if (nodeSqlite) return nodeSqlite;
  if (!hasBuiltinSqlite()) {
    throw new RalphError(
      "store_unavailable",
      `RALPH_SQLITE_DRIVER=node needs Node 22.13 or later (this is ${process.versions.node}); unset it to use better-sqlite3.`,
    );
  }
  // Node prints "SQLite is an experimental feature" on first load: stdout stays clean anyway, but
  // a user reading stderr would take it for a problem. Only that one warning is held back.
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(text)) return;
    return (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    nodeSqlite = require("node:sqlite") as NodeSqliteModule;
  } finally {
    process.emitWarning = emit;
  }
  return nodeSqlite;
}

let betterSqlite: BetterSqliteConstructor | undefined;
function loadBetterSqlite(): BetterSqliteConstructor {
  if (betterSqlite) return betterSqlite;
  try {
    // biome-ignore lint/style/noRestrictedImports: this is the one place that loads it.
    const Database = require("better-sqlite3") as BetterSqliteConstructor;
    // Its native part loads with the first connection: a binary built for another Node fails here.
    new Database(":memory:").close();
    betterSqlite = Database;
  } catch (error) {
    const builtin = hasBuiltinSqlite()
      ? "unset RALPH_SQLITE_DRIVER to use the built-in node:sqlite"
      : "or run ralph-mcp on Node 22.13 or later, which has SQLite built in";
    // Not retryable: the same call fails the same way until the installation changes.
    throw new RalphError(
      "store_unavailable",
      `The SQLite driver better-sqlite3 cannot be loaded (${(error as Error).message.split("\n")[0]}): ` +
        `install it with \`npm install better-sqlite3\`, ${builtin}.`,
      { cause: error },
    );
  }
  return betterSqlite;
}

/** A node:sqlite connection behind the store's interface. */
class NodeSqliteDatabase implements SqliteDatabase {
  readonly driver = "node" as const;
  constructor(private readonly db: NodeDatabaseSync) {}

  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqliteStatement<P, R> {
    return this.db.prepare(sql) as SqliteStatement<P, R>;
  }
  exec(sql: string): void {
    this.db.exec(sql);
  }
  pragma(source: string, options?: { simple?: boolean }): unknown {
    const statement = this.db.prepare(`PRAGMA ${source}`);
    if (!options?.simple) return statement.all();
    const row = statement.get() as Record<string, unknown> | undefined;
    return row === undefined ? undefined : Object.values(row)[0];
  }
  get inTransaction(): boolean {
    if (this.db.isTransaction !== undefined) return this.db.isTransaction;
    // Node 22.13–22.15 lack isTransaction: BEGIN fails exactly when a transaction is open.
    try {
      this.db.exec("BEGIN");
    } catch {
      return true;
    }
    this.db.exec("ROLLBACK");
    return false;
  }
  close(): void {
    this.db.close();
  }
}

export interface OpenOptions {
  /** Default: chooseDriver() (RALPH_SQLITE_DRIVER, else by the Node version). */
  driver?: SqliteDriverName | undefined;
  /** Open read-only (default false). */
  readonly?: boolean | undefined;
}

/** Open a connection with the chosen driver (busy timeout 0: write-lock.ts does the waiting). */
export function openSqliteDatabase(path: string, options: OpenOptions = {}): SqliteDatabase {
  const driver = options.driver ?? chooseDriver();
  const readonly = options.readonly === true;
  log.debug({ driver, node: process.versions.node, path }, "SQLite driver chosen");
  if (driver === "node") {
    const { DatabaseSync } = loadNodeSqlite();
    // Foreign keys are on, as better-sqlite3 has them (node:sqlite's default too).
    const db = new DatabaseSync(path, { timeout: 0, enableForeignKeyConstraints: true, readOnly: readonly });
    return new NodeSqliteDatabase(db);
  }
  const Database = loadBetterSqlite();
  const db = new Database(path, { timeout: 0, readonly });
  return Object.assign(db, { driver: "better-sqlite3" as const }) as unknown as SqliteDatabase;
}

/**
 * SQLite's "try again" answers (SQLITE_BUSY, SQLITE_LOCKED and their extended codes), as either
 * driver reports them: better-sqlite3 names the code, node:sqlite gives its number.
 */
export function isBusyError(error: unknown): boolean {
  const e = error as { code?: unknown; errcode?: unknown } | null;
  if (typeof e?.code === "string" && /^SQLITE_(BUSY|LOCKED)/.test(e.code)) return true;
  if (typeof e?.errcode === "number") {
    const primary = e.errcode & 0xff;
    return primary === 5 || primary === 6;
  }
  return false;
}
