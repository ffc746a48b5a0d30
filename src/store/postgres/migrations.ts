/**
 * Versioned schema for the PostgreSQL store, applied in order inside one transaction and recorded in
 * `<schema>.schema_migrations`. Never edit a released migration: add the next one.
 * test/store/postgres-store.test.ts pins the resulting schema so a change cannot slip in unnoticed.
 *
 * Concurrent starters (ten servers booting at once) are safe: each takes a transaction-scoped
 * advisory lock for the schema before looking at the version, so one migrates while the others
 * wait, and then find nothing left to do.
 */
import { RalphError } from "../../domain/errors.js";
import type { Database } from "./db.js";

export interface Migration {
  version: number;
  name: string;
  /** The DDL, given the (already quoted) schema name. */
  sql: (schema: string) => string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "tasks, dependencies",
    sql: (s) => `
-- The id is task-<seq>. A sequence never hands out a value twice, so ids are never reused after a
-- delete; CACHE 1 keeps ids in creation order across servers.
CREATE SEQUENCE ${s}.task_seq CACHE 1;

CREATE TABLE ${s}.tasks (
  seq              bigint PRIMARY KEY DEFAULT nextval('${s}.task_seq'),
  description      text NOT NULL,
  criteria         text,
  priority         smallint NOT NULL,
  max_attempts     smallint NOT NULL,
  attempts         smallint NOT NULL DEFAULT 0,
  status           text NOT NULL CHECK (status IN ('pending', 'in_progress', 'completed', 'failed')),
  result           text,
  failure_reason   text,
  feedback         jsonb NOT NULL DEFAULT '[]',  -- [{text, source, attempt, at}]
  depends_on       jsonb NOT NULL DEFAULT '[]',  -- task ids, as shown
  tags             jsonb NOT NULL DEFAULT '[]',
  idempotency_key  text UNIQUE,                  -- a second add with the key finds the first task
  unmet_deps       integer NOT NULL DEFAULT 0,   -- dependencies not completed yet; 0 = eligible
  -- Set (and never cleared) once another task depends on this one. Completing a task without
  -- dependents is a single statement; with dependents it takes the locking path in store.ts.
  has_dependents   boolean NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL,
  started_at       timestamptz,
  completed_at     timestamptz,
  updated_at       timestamptz NOT NULL,
  lease_expires_at timestamptz,
  claimed_by       text
);
ALTER SEQUENCE ${s}.task_seq OWNED BY ${s}.tasks.seq;

-- The claim path: first eligible pending task by priority, then age. Partial, so its size is the
-- number of ready tasks and finding the head costs the same with ten or a million tasks stored.
CREATE INDEX tasks_ready ON ${s}.tasks (priority, seq) WHERE status = 'pending' AND unmet_deps = 0;
-- Listing by status in id order, and the per-status counts of stats() (an index-only scan: no hot
-- counter row that every writer would have to update).
CREATE INDEX tasks_status ON ${s}.tasks (status, seq) INCLUDE (attempts);
CREATE INDEX tasks_blocked ON ${s}.tasks (seq) WHERE status = 'pending' AND unmet_deps > 0;
-- Finding stalled claims.
CREATE INDEX tasks_lease ON ${s}.tasks (lease_expires_at) WHERE status = 'in_progress';

-- Dependency edges. The foreign keys make a concurrent delete of a dependency and an add that
-- names it exclude each other, and take a deleted task's edges with it.
CREATE TABLE ${s}.task_deps (
  task_seq bigint NOT NULL REFERENCES ${s}.tasks (seq) ON DELETE CASCADE,
  dep_seq  bigint NOT NULL REFERENCES ${s}.tasks (seq) ON DELETE CASCADE,
  PRIMARY KEY (task_seq, dep_seq)
);
CREATE INDEX task_deps_by_dep ON ${s}.task_deps (dep_seq, task_seq);
`,
  },
];

export const LATEST_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** A fixed first key for pg_advisory_xact_lock(int, int); the second is the schema's hash. */
const MIGRATION_LOCK = 0x52_61_6c_70; // "Ralp"

/** Bring `schema` up to the latest version. `ident` is the quoted schema name for the DDL. */
export async function migrate(db: Database, schema: string, ident: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query({ text: "SELECT pg_advisory_xact_lock($1, hashtext($2))" }, [MIGRATION_LOCK, schema]);
    await tx.query({
      text: `CREATE SCHEMA IF NOT EXISTS ${ident};
        CREATE TABLE IF NOT EXISTS ${ident}.schema_migrations (
          version    integer PRIMARY KEY,
          name       text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`,
    });
    const [row] = await tx.query<{ v: number }>({
      text: `SELECT coalesce(max(version), 0)::int AS v FROM ${ident}.schema_migrations`,
    });
    const current = row?.v ?? 0;
    if (current > LATEST_VERSION) {
      throw new RalphError(
        "store_unavailable",
        `The task schema "${schema}" in ${db.location} has version ${current}, newer than this ralph-mcp knows (${LATEST_VERSION}). Upgrade ralph-mcp.`,
      );
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await tx.query({ text: m.sql(ident) });
      await tx.query({ text: `INSERT INTO ${ident}.schema_migrations (version, name) VALUES ($1, $2)` }, [
        m.version,
        m.name,
      ]);
    }
  });
}
