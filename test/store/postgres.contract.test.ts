/**
 * The whole TaskStore contract on PostgreSQL: one fresh database for this file, a fresh schema for
 * every test (dropped after it).
 */
import { afterAll, describe, it } from "vitest";
import { parseTaskId } from "../../src/domain/ids.js";
import { openPostgresStore } from "../../src/store/postgres/store.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";
import { describeStoreContract } from "./contract.js";

if (await postgresAvailable()) {
  let database: TestDatabase | undefined;
  afterAll(async () => database?.drop());

  describeStoreContract("postgres", async () => {
    database ??= await createTestDatabase("contract");
    const db = database;
    const schema = db.newSchema();
    const open = () => openPostgresStore({ connectionString: db.url, schema, poolSize: 4 });
    const store = await open();
    return {
      store,
      openAnother: open,
      setAttempts: async (id, attempts) => {
        await db.query(`UPDATE ${schema}.tasks SET attempts = $1 WHERE seq = $2`, [
          attempts,
          parseTaskId(id),
        ]);
      },
      cleanup: async () => {
        await store.close();
        await db.query(`DROP SCHEMA ${schema} CASCADE`);
      },
    };
  });
} else {
  describe.skip("TaskStore contract: postgres (PostgreSQL not reachable)", () => {
    it("runs when PostgreSQL is reachable", () => {});
  });
}
