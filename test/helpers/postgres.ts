/**
 * PostgreSQL for tests: every test file gets its own fresh database (dropped at the end), and each
 * test inside it a fresh schema when it needs one.
 *
 * Where PostgreSQL is: RALPH_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test.
 * Under CI=true an unreachable PostgreSQL fails the test file; elsewhere its tests are skipped with
 * a loud warning.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const ADMIN_URL = process.env.RALPH_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const inCi = () => process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";

/** True when PostgreSQL answers. In CI, not answering throws (the file fails) instead of returning false. */
export async function postgresAvailable(url = ADMIN_URL, ci = inCi()): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (error) {
    const why = `PostgreSQL is not reachable at ${url} (${(error as Error).message})`;
    if (ci) throw new Error(`${why}. The PostgreSQL tests must run in CI: start PostgreSQL.`);
    console.warn(
      `\n${"!".repeat(100)}\n!!! SKIPPING the PostgreSQL tests: ${why}.\n!!! Start PostgreSQL or set RALPH_TEST_POSTGRES_URL. Under CI=true they fail instead.\n${"!".repeat(100)}\n`,
    );
    return false;
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase {
  name: string;
  url: string;
  /** Run SQL on the test database as the admin user (for checks and for breaking things). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** A fresh schema name, unique in this database. */
  newSchema(): string;
  drop(): Promise<void>;
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `ralph_test_${label}_${process.pid}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(ADMIN_URL, name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => {});
  let schemas = 0;
  return {
    name,
    url,
    query: async (text, values) => (await pool.query(text, values)).rows,
    newSchema: () => `t${++schemas}`,
    drop: async () => {
      await pool.end();
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
