/** Runs kept in the SQLite store: the RunStore contract, and migration 2 of an existing file. */
import { describe, expect, it } from "vitest";
import { openSqliteDatabase } from "../../src/store/sqlite/driver.js";
import { MIGRATIONS } from "../../src/store/sqlite/migrations.js";
import { makeDir, makeStore } from "./helpers.js";
import { runStoreContract } from "./run-store-contract.js";

runStoreContract("SQLite", async () => {
  const dir = makeDir();
  const store = makeStore(dir);
  const others: Array<{ close(): Promise<void> }> = [];
  return {
    store,
    other: async () => {
      const other = makeStore(dir);
      others.push(other);
      return other;
    },
    cleanup: async () => {
      for (const o of others) await o.close();
      await store.close();
      dir.cleanup();
    },
  };
});

const newRun = { max_tasks: 10, settings: {}, owner: "host:42" };

describe("SQLite migration 2", () => {
  it("a version-1 database is migrated to version 2 with its tasks intact", async () => {
    const dir = makeDir();
    const path = dir.file("old.db");
    const db = openSqliteDatabase(path);
    db.exec((MIGRATIONS[0] as { sql: string }).sql);
    db.pragma("user_version = 1");
    db.prepare(
      "INSERT INTO tasks (description, priority, max_attempts, status, created_at, updated_at) VALUES ('old task', 5, 3, 'pending', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')",
    ).run();
    db.close();

    const migrated = makeStore(dir, "old.db");
    try {
      expect((await migrated.get("task-001")).description).toBe("old task");
      expect((await migrated.runs.create(newRun)).id).toBe("run-001");
    } finally {
      await migrated.close();
    }
    const check = openSqliteDatabase(path, { readonly: true });
    expect(check.pragma("user_version", { simple: true })).toBe(MIGRATIONS.at(-1)?.version);
    check.close();
    dir.cleanup();
  });
});
