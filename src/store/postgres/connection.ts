/**
 * Connecting the PostgreSQL store: its options, the schema it lives in, the pool for statements and
 * the client settings for the change feed's own LISTEN connection.
 */
import pg from "pg";
import { ValidationError } from "../../domain/errors.js";
import { log } from "../../log.js";
import { storeTypes } from "./types.js";

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:5432/database`; every `pg` connection-string option works. */
  connectionString: string;
  /**
   * The schema that holds the queue's tables, created when missing: this option, else the
   * connection string's `?schema=` parameter, else "ralph". Several queues can share one database
   * under different schemas. Lowercase letters, digits and `_`.
   */
  schema?: string | undefined;
  /** Most connections the store's pool opens (default 10); the change feed holds one more. */
  poolSize?: number | undefined;
  /** How long a call waits for a connection, new or from a busy pool, before failing (default 5,000 ms). */
  connectTimeoutMs?: number | undefined;
  /** Server-side limit on one statement (default 30,000 ms). */
  statementTimeoutMs?: number | undefined;
  /** Shown in pg_stat_activity (default "ralph-mcp"). */
  applicationName?: string | undefined;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

/** The connection string for people: the password replaced. */
function redactConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return connectionString.replace(/:[^:@/]*@/, ":***@");
  }
}

/** Our own `?schema=` parameter, taken out of the URL before `pg` sees it. */
function splitSchema(connectionString: string): { connectionString: string; schema: string | undefined } {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return { connectionString, schema: undefined };
  }
  const schema = url.searchParams.get("schema");
  if (schema === null) return { connectionString, schema: undefined };
  url.searchParams.delete("schema");
  return { connectionString: url.toString(), schema };
}

export interface Connection {
  /** The schema name, validated. */
  schema: string;
  /** The schema as a quoted identifier, the one identifier spliced into SQL text. */
  ident: string;
  /** Where the data lives, for people (no password). */
  location: string;
  pool: pg.Pool;
  /** Settings for a connection of its own (the change feed's LISTEN connection). */
  clientConfig: pg.ClientConfig;
}

/** Check the options and make the pool (no connection is opened yet). */
export function connect(options: PostgresStoreOptions): Connection {
  const split = splitSchema(options.connectionString);
  const { connectionString } = split;
  const schema = options.schema ?? split.schema ?? "ralph";
  if (!SCHEMA_NAME.test(schema)) {
    throw new ValidationError(
      `"${schema}" cannot be a schema name here: use 1–40 lowercase letters, digits or _, starting with a letter or _.`,
    );
  }
  const redacted = redactConnectionString(connectionString);
  const location = schema === "ralph" ? redacted : `${redacted} (schema ${schema})`;
  const connection: pg.ClientConfig = {
    connectionString,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    application_name: options.applicationName ?? "ralph-mcp",
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    types: storeTypes,
  };
  const pool = new pg.Pool({
    ...connection,
    max: options.poolSize ?? 10,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    // A transaction left open by a crashed client must not hold its row locks for long.
    idle_in_transaction_session_timeout: 60_000,
  });
  // An idle pooled connection that breaks (a restart, pg_terminate_backend) is dropped by the
  // pool; without this listener the 'error' event would crash the process.
  pool.on("error", (error) =>
    log.debug(
      { code: (error as { code?: unknown }).code, reason: error.message },
      "postgres: an idle connection was lost",
    ),
  );
  // UTC sessions: timestamps come back in the form types.ts turns into ISO strings cheaply. The
  // query is queued ahead of the connection's first statement.
  pool.on("connect", (client) => {
    client.query("SET TimeZone = 'UTC'").catch(() => {});
  });
  return {
    schema,
    ident: pg.escapeIdentifier(schema),
    location,
    pool,
    clientConfig: { ...connection, application_name: `${connection.application_name} listener` },
  };
}
