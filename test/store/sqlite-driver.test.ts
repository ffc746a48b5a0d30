/**
 * The SQLite driver seam: which driver is chosen and why, what a bad choice says, and one file
 * shared by both drivers (a database written through better-sqlite3 on Node 20 opens, is changed
 * and is read back through node:sqlite on Node 22, and the other way round).
 */
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  chooseDriver,
  hasBuiltinSqlite,
  isBusyError,
  openSqliteDatabase,
} from "../../src/store/sqlite/driver.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { assertNode22, NODE22, systemNode } from "../helpers/node-lines.js";
import { tempDir } from "../helpers/tmp.js";

const run = promisify(execFile);
const STORE = resolve(import.meta.dirname, "../../dist/store/sqlite/store.js");

describe("choosing the driver", () => {
  it("node:sqlite from Node 22.13 on, better-sqlite3 before", () => {
    expect(hasBuiltinSqlite("20.19.0")).toBe(false);
    expect(hasBuiltinSqlite("22.12.0")).toBe(false);
    expect(hasBuiltinSqlite("22.13.0")).toBe(true);
    expect(hasBuiltinSqlite("23.0.0")).toBe(true);
    expect(hasBuiltinSqlite("24.4.1")).toBe(true);
    expect(chooseDriver({})).toBe(hasBuiltinSqlite() ? "node" : "better-sqlite3");
  });

  it("RALPH_SQLITE_DRIVER forces one; anything else is refused with the allowed values", () => {
    expect(chooseDriver({ RALPH_SQLITE_DRIVER: "better-sqlite3" })).toBe("better-sqlite3");
    expect(chooseDriver({ RALPH_SQLITE_DRIVER: " node " })).toBe("node");
    expect(chooseDriver({ RALPH_SQLITE_DRIVER: "" })).toBe(chooseDriver({}));
    expect(() => chooseDriver({ RALPH_SQLITE_DRIVER: "sqlite3" })).toThrow(
      /RALPH_SQLITE_DRIVER must be node or better-sqlite3 \(got "sqlite3"\)/,
    );
  });

  it("the store uses the driver RALPH_SQLITE_DRIVER names, else the runtime's", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    try {
      expect(store.driver).toBe(chooseDriver());
    } finally {
      await store.close();
    }
  });

  it.runIf(!hasBuiltinSqlite())("forcing node:sqlite on a Node without it says which Node it needs", () => {
    expect(() => openSqliteDatabase(":memory:", { driver: "node" })).toThrow(
      /RALPH_SQLITE_DRIVER=node needs Node 22\.13 or later \(this is 20\.[\d.]+\); unset it to use better-sqlite3/,
    );
  });

  it("busy answers are recognised from either driver", () => {
    expect(isBusyError(Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" }))).toBe(true);
    expect(isBusyError(Object.assign(new Error("x"), { code: "SQLITE_BUSY_SNAPSHOT" }))).toBe(true);
    expect(
      isBusyError(Object.assign(new Error("database is locked"), { code: "ERR_SQLITE_ERROR", errcode: 5 })),
    ).toBe(true);
    expect(isBusyError(Object.assign(new Error("x"), { code: "ERR_SQLITE_ERROR", errcode: 517 }))).toBe(true);
    expect(isBusyError(Object.assign(new Error("x"), { code: "ERR_SQLITE_ERROR", errcode: 1 }))).toBe(false);
    expect(isBusyError(Object.assign(new Error("x"), { code: "SQLITE_CONSTRAINT_UNIQUE" }))).toBe(false);
    expect(isBusyError(null)).toBe(false);
  });

  it("the connection's transaction state and PRAGMA reads agree across drivers", () => {
    const db = openSqliteDatabase(":memory:");
    try {
      expect(db.inTransaction).toBe(false);
      db.exec("BEGIN");
      expect(db.inTransaction).toBe(true);
      db.exec("ROLLBACK");
      expect(db.inTransaction).toBe(false);
      expect(db.pragma("user_version", { simple: true })).toBe(0);
      // Foreign keys are on with both (better-sqlite3's default, and node:sqlite's).
      expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });
});

describe("one database file, both drivers", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.remove());

  /** Add a task through the built store on one Node line with one driver; print what it sees. */
  async function step(node: string, driver: string, db: string, description: string) {
    const script = `
      const { openSqliteStore } = await import(${JSON.stringify(STORE)});
      const store = openSqliteStore({ path: ${JSON.stringify(db)} });
      const { task } = await store.create({ description: ${JSON.stringify(description)} });
      const claimed = await store.claimNext({ workerId: "w" });
      if (claimed) await store.complete(claimed.id, "done by " + store.driver, { workerId: "w" });
      const page = await store.list({ limit: 100 });
      console.log(JSON.stringify({ driver: store.driver, added: task.id, tasks: page.tasks.map((t) => [t.id, t.description, t.status, t.result]) }));
      await store.close();`;
    const { stdout } = await run(node, ["--input-type=module", "-e", script], {
      env: { ...process.env, RALPH_SQLITE_DRIVER: driver, RALPH_LOG_LEVEL: "warn" },
    });
    return JSON.parse(stdout) as { driver: string; added: string; tasks: string[][] };
  }

  it("better-sqlite3 (Node 20) → node:sqlite (Node 22) → better-sqlite3 again", async () => {
    assertNode22();
    const db = join(tmp.dir, "shared.db");
    const first = await step(systemNode(), "better-sqlite3", db, "written by better-sqlite3");
    expect(first.driver).toBe("better-sqlite3");
    const second = await step(NODE22, "node", db, "written by node:sqlite");
    expect(second.driver).toBe("node");
    const third = await step(systemNode(), "better-sqlite3", db, "written by better-sqlite3 again");
    expect(third.tasks).toEqual([
      ["task-001", "written by better-sqlite3", "completed", "done by better-sqlite3"],
      ["task-002", "written by node:sqlite", "completed", "done by node"],
      ["task-003", "written by better-sqlite3 again", "completed", "done by better-sqlite3"],
    ]);
  });

  it("a database created by node:sqlite (Node 22) opens with better-sqlite3 (Node 20)", async () => {
    assertNode22();
    const db = join(tmp.dir, "made-by-node.db");
    await step(NODE22, "node", db, "first");
    const after = await step(systemNode(), "better-sqlite3", db, "second");
    expect(after.tasks.map((t) => t[2])).toEqual(["completed", "completed"]);
  });

  it("forcing better-sqlite3 where it cannot load is a clear error, not a crash", async () => {
    assertNode22();
    // On Node 22 the better-sqlite3 built for Node 20 cannot load (another ABI).
    const script = `
      const { openSqliteStore } = await import(${JSON.stringify(STORE)});
      try { openSqliteStore({ path: ":memory:" }); console.log("opened"); }
      catch (e) { console.log(e.code + (e.retryable ? " (retryable)" : "") + ": " + e.message); }`;
    const { stdout } = await run(NODE22, ["--input-type=module", "-e", script], {
      env: { ...process.env, RALPH_SQLITE_DRIVER: "better-sqlite3" },
    });
    expect(stdout).toMatch(/^store_unavailable: The SQLite driver better-sqlite3 cannot be loaded/);
    expect(stdout).toMatch(/unset RALPH_SQLITE_DRIVER to use the built-in node:sqlite/);
  });
});
