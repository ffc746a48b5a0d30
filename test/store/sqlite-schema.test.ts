/**
 * Pins the SQLite schema the migrations produce. A change to a migration shows up here as a diff
 * against test/store/schema/sqlite.sql; update it (vitest -u) only together with a new migration.
 */
import { join } from "node:path";
import { expect, it } from "vitest";
import { openSqliteDatabase } from "../../src/store/sqlite/driver.js";
import { MIGRATIONS } from "../../src/store/sqlite/migrations.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { tempDir } from "../helpers/tmp.js";

it("the migrations produce the pinned schema, at the latest version", async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.dir, "schema.db");
    await openSqliteStore({ path }).close();
    const db = openSqliteDatabase(path, { readonly: true });
    const rows = db
      .prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name")
      .all() as Array<{ type: string; name: string; sql: string }>;
    const version = db.pragma("user_version", { simple: true });
    db.close();
    expect(version).toBe(MIGRATIONS.at(-1)?.version);
    const dump = rows.map((r) => `-- ${r.type} ${r.name}\n${r.sql};\n`).join("\n");
    await expect(`-- user_version ${version}\n\n${dump}`).toMatchFileSnapshot("./schema/sqlite.sql");
  } finally {
    tmp.remove();
  }
});

it("opening a database migrated by a newer ralph-mcp is refused with advice", async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.dir, "future.db");
    const db = openSqliteDatabase(path);
    db.pragma("user_version = 999");
    db.close();
    expect(() => openSqliteStore({ path })).toThrow(/newer than this ralph-mcp knows.*Upgrade ralph-mcp/);
  } finally {
    tmp.remove();
  }
});
