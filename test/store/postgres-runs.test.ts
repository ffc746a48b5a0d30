/**
 * Orchestrator runs kept in PostgreSQL: the RunStore contract (two store objects on one database),
 * and migration 2 of a schema created by version 1.
 */
import { afterAll, describe, expect, it } from "vitest";
import { openPostgresStore, type PostgresTaskStore } from "../../src/store/postgres/store.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";
import { runStoreContract } from "../orchestrator/run-store-contract.js";

if (await postgresAvailable()) {
  let database: TestDatabase | undefined;
  const db = async () => {
    database ??= await createTestDatabase("runs");
    return database;
  };
  afterAll(async () => database?.drop());

  runStoreContract("PostgreSQL", async () => {
    const { url, newSchema, query } = await db();
    const schema = newSchema();
    const open = () => openPostgresStore({ connectionString: url, schema, poolSize: 2 });
    const store = await open();
    const others: PostgresTaskStore[] = [];
    return {
      store,
      other: async () => {
        const other = await open();
        others.push(other);
        return other;
      },
      cleanup: async () => {
        for (const other of others) await other.close();
        await store.close();
        await query(`DROP SCHEMA ${schema} CASCADE`);
      },
    };
  });

  describe("PostgreSQL migration 2", () => {
    it("a version-1 schema is migrated to version 2 with its tasks intact", async () => {
      const { url, newSchema, query } = await db();
      const schema = newSchema();
      const first = await openPostgresStore({ connectionString: url, schema });
      const { task } = await first.create({ description: "from version 1" });
      await first.close();
      // Back to what version 1 left behind.
      await query(
        `DROP TABLE ${schema}.run_output; DROP TABLE ${schema}.runs; ALTER TABLE ${schema}.tasks DROP COLUMN not_before; DELETE FROM ${schema}.schema_migrations WHERE version >= 2`,
      );

      const store = await openPostgresStore({ connectionString: url, schema });
      try {
        expect(await query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`)).toEqual([
          { version: 1 },
          { version: 2 },
          { version: 3 },
          { version: 4 },
        ]);
        expect(await store.get(task.id)).toEqual(task);
        const run = await store.runs.create({ max_tasks: 1, settings: {}, owner: "host:1" });
        expect(run.id).toBe("run-001");
      } finally {
        await store.close();
        await query(`DROP SCHEMA ${schema} CASCADE`);
      }
    });
  });
} else {
  describe.skip("RunStore contract: PostgreSQL (PostgreSQL not reachable)", () => {
    it("runs when PostgreSQL is reachable", () => {});
  });
}
