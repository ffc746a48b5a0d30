/**
 * Versioned schema for the PostgreSQL store, applied in order inside one transaction and recorded in
 * `<schema>.schema_migrations`. Never edit a released migration: add the next one.
 * test/store/postgres-store.test.ts pins the resulting schema so a change cannot slip in unnoticed.
 *
 * Concurrent starters (ten servers booting at once) are safe: each takes a transaction-scoped
 * advisory lock for the schema before looking at the version, so one migrates while the others
 * wait, and then find nothing left to do.
 */
import { storeFailed } from "../../domain/errors.js";
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

-- Column order: fixed-width columns first, widest first, so no byte is lost to alignment padding;
-- the row is rewritten by every claim and completion, and its size is WAL written per cycle.
CREATE TABLE ${s}.tasks (
  seq              bigint PRIMARY KEY DEFAULT nextval('${s}.task_seq'),
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  started_at       timestamptz,
  completed_at     timestamptz,
  lease_expires_at timestamptz,
  unmet_deps       integer NOT NULL DEFAULT 0,   -- dependencies not completed yet; 0 = eligible
  priority         smallint NOT NULL,
  max_attempts     smallint NOT NULL,
  attempts         smallint NOT NULL DEFAULT 0,
  -- Set (and never cleared) once another task depends on this one. Completing a task without
  -- dependents is a single statement; with dependents it takes the locking path (locking.ts).
  has_dependents   boolean NOT NULL DEFAULT false,
  status           text NOT NULL CHECK (status IN ('pending', 'in_progress', 'completed', 'failed')),
  claimed_by       text,
  description      text NOT NULL,
  criteria         text,
  result           text,
  failure_reason   text,
  idempotency_key  text,                         -- unique when set: see tasks_idempotency_key
  -- JSON arrays; NULL stands for an empty one (no bytes in the row, where '[]' takes several).
  feedback         jsonb,                        -- [{text, source, attempt, at}]
  depends_on       jsonb,                        -- task ids, as shown
  tags             jsonb
);
ALTER SEQUENCE ${s}.task_seq OWNED BY ${s}.tasks.seq;

-- Indexes, chosen for what a claim and a completion cost: a status change rewrites the row into
-- every index whose key or condition it meets (no HOT update is possible), and each entry is WAL.
-- So there is no index on status as a whole: a claim adds entries to tasks_running only, a
-- completion to none beyond the primary key.
--
-- The claim path: first eligible pending task by priority, then age. Partial, so its size is the
-- number of ready tasks and finding the head costs the same with ten or a million tasks stored.
CREATE INDEX tasks_ready ON ${s}.tasks (priority, seq) WHERE status = 'pending' AND unmet_deps = 0;
-- Listing and counting by status, one partial index per status except completed (the bulk of an
-- old queue, found by the primary key). Counting pending, in-progress or failed tasks costs their
-- number, not the table's size.
CREATE INDEX tasks_pending ON ${s}.tasks (seq) WHERE status = 'pending';
CREATE INDEX tasks_blocked ON ${s}.tasks (seq) WHERE status = 'pending' AND unmet_deps > 0;
-- In progress: also where stalled claims (an expired lease) are found.
CREATE INDEX tasks_running ON ${s}.tasks (seq) INCLUDE (lease_expires_at) WHERE status = 'in_progress';
CREATE INDEX tasks_failed ON ${s}.tasks (seq) WHERE status = 'failed';
-- A second add with the same key finds the first task. Partial: tasks without a key (most) have
-- no entry.
CREATE UNIQUE INDEX tasks_idempotency_key ON ${s}.tasks (idempotency_key) WHERE idempotency_key IS NOT NULL;

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
  {
    version: 2,
    name: "orchestrator runs",
    sql: (s) => `
-- The id is run-<seq>, from its own sequence (run-001, run-002, …), never reused.
CREATE SEQUENCE ${s}.run_seq CACHE 1;

CREATE TABLE ${s}.runs (
  seq              bigint PRIMARY KEY DEFAULT nextval('${s}.run_seq'),
  started_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,         -- the heartbeat of a running run (database clock)
  finished_at      timestamptz,
  max_tasks        integer NOT NULL,
  cancel_requested boolean NOT NULL DEFAULT false,
  status           text NOT NULL
                   CHECK (status IN ('running', 'finished', 'stopped', 'cancelled', 'error', 'abandoned')),
  stop_code        text,
  stop_reason      text,
  worker_id        text NOT NULL,                -- run-<seq>@host:pid, what its claims are made under
  settings         jsonb NOT NULL,               -- executor, verifier, model
  stats            jsonb NOT NULL,               -- RunStats
  current          jsonb                         -- RunCurrent, NULL between tasks
);
ALTER SEQUENCE ${s}.run_seq OWNED BY ${s}.runs.seq;

-- Finding runs whose process died: only running runs are indexed.
CREATE INDEX runs_running ON ${s}.runs (updated_at) WHERE status = 'running';
`,
  },
  {
    version: 3,
    name: "a task's back-off: not_before",
    // Not eligible before this time (NULL: now). A claim filters it on the tasks_ready scan, as it
    // filters spent attempts, so finding the head still costs one index walk.
    sql: (s) => `ALTER TABLE ${s}.tasks ADD COLUMN not_before timestamptz;`,
  },
  {
    version: 4,
    name: "executions' output tails",
    // The last OUTPUT_TAIL_BYTES of each execution's output, replaced as it streams in.
    sql: (s) => `
CREATE TABLE ${s}.run_output (
  id            bigserial PRIMARY KEY,   -- the order executions started in
  run_seq       bigint NOT NULL REFERENCES ${s}.runs (seq) ON DELETE CASCADE,
  task_id       text NOT NULL,
  attempt       integer NOT NULL,
  worker        integer,
  text          text NOT NULL,
  dropped_bytes integer NOT NULL DEFAULT 0,
  updated_at    timestamptz NOT NULL,
  UNIQUE (run_seq, task_id, attempt)
);`,
  },
];

const LATEST_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

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
      throw storeFailed(
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
