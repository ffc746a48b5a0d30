/**
 * Versioned schema for the SQLite store, applied in order and recorded in PRAGMA user_version.
 * Never edit a released migration: add the next one. test/store/sqlite-schema.test.ts pins the
 * resulting schema so a change cannot slip in unnoticed.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "tasks, dependencies, counts, change feed",
    sql: `
CREATE TABLE tasks (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT, -- the id is task-<seq>; never reused
  description      TEXT NOT NULL,
  criteria         TEXT,
  priority         INTEGER NOT NULL,
  max_attempts     INTEGER NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'completed', 'failed')),
  result           TEXT,
  failure_reason   TEXT,
  feedback         TEXT NOT NULL DEFAULT '[]',  -- JSON array of {text, source, attempt, at}
  depends_on       TEXT NOT NULL DEFAULT '[]',  -- JSON array of task ids, as given
  tags             TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
  idempotency_key  TEXT UNIQUE,
  unmet_deps       INTEGER NOT NULL DEFAULT 0,  -- dependencies not completed yet; 0 = eligible
  created_at       TEXT NOT NULL,               -- ISO-8601 UTC, so text order is time order
  started_at       TEXT,
  completed_at     TEXT,
  updated_at       TEXT NOT NULL,
  lease_expires_at TEXT,
  claimed_by       TEXT
);

-- The claim path: first eligible pending task by priority, then age. Partial, so its size is the
-- number of ready tasks and finding the head costs the same with ten or a million tasks stored.
CREATE INDEX tasks_ready ON tasks (priority, seq) WHERE status = 'pending' AND unmet_deps = 0;
CREATE INDEX tasks_status ON tasks (status, seq);
CREATE INDEX tasks_blocked ON tasks (seq) WHERE status = 'pending' AND unmet_deps > 0;

CREATE TABLE task_deps (
  task_seq INTEGER NOT NULL,
  dep_seq  INTEGER NOT NULL,
  PRIMARY KEY (task_seq, dep_seq)
) WITHOUT ROWID;
CREATE INDEX task_deps_by_dep ON task_deps (dep_seq, task_seq);

-- Per-status counts kept by triggers in the same transaction, so stats and list totals never
-- count rows.
CREATE TABLE task_counts (
  status   TEXT PRIMARY KEY,
  n        INTEGER NOT NULL,
  attempts INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO task_counts (status, n, attempts)
  VALUES ('pending', 0, 0), ('in_progress', 0, 0), ('completed', 0, 0), ('failed', 0, 0);

CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN
  UPDATE task_counts SET n = n + 1, attempts = attempts + NEW.attempts WHERE status = NEW.status;
END;
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN
  UPDATE task_counts SET n = n - 1, attempts = attempts - OLD.attempts WHERE status = OLD.status;
END;
CREATE TRIGGER tasks_count_update AFTER UPDATE OF status, attempts ON tasks
  WHEN OLD.status IS NOT NEW.status OR OLD.attempts IS NOT NEW.attempts BEGIN
  UPDATE task_counts SET n = n - 1, attempts = attempts - OLD.attempts WHERE status = OLD.status;
  UPDATE task_counts SET n = n + 1, attempts = attempts + NEW.attempts WHERE status = NEW.status;
END;

-- The change feed: one row per committed operation. Other processes on the same file notice a
-- commit through PRAGMA data_version and read the rows after the last one they saw.
-- No AUTOINCREMENT: it would rewrite sqlite_sequence on every commit. Pruning always keeps the
-- newest rows, so rowids still only grow.
CREATE TABLE changes (
  seq       INTEGER PRIMARY KEY,
  origin    TEXT NOT NULL,   -- which store object wrote it, so a process skips its own
  kind      TEXT NOT NULL,
  task_seqs TEXT             -- JSON array of task seqs, NULL for "everything"
);
`,
  },
  {
    version: 2,
    name: "orchestrator runs",
    sql: `
CREATE TABLE runs (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT, -- the id is run-<seq>; never reused
  status           TEXT NOT NULL CHECK (status IN ('running', 'finished', 'stopped', 'cancelled', 'error', 'abandoned')),
  stop_code        TEXT,
  stop_reason      TEXT,
  max_tasks        INTEGER NOT NULL,
  settings         TEXT NOT NULL DEFAULT '{}',   -- JSON: executor, verifier, model
  worker_id        TEXT NOT NULL,
  stats            TEXT NOT NULL,                -- JSON RunStats
  current          TEXT,                         -- JSON RunCurrent, NULL between tasks
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  started_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,                -- the heartbeat of a running run
  finished_at      TEXT
);
-- Finding runs whose process died: only running runs are indexed.
CREATE INDEX runs_running ON runs (updated_at) WHERE status = 'running';
`,
  },
  {
    version: 3,
    name: "a task's back-off: not_before",
    sql: `
-- Not eligible before this time (ISO-8601 UTC; NULL: now). A claim filters it on the tasks_ready
-- scan, as it filters spent attempts, so finding the head still costs one index walk.
ALTER TABLE tasks ADD COLUMN not_before TEXT;
`,
  },
  {
    version: 4,
    name: "executions' output tails",
    sql: `
-- The last OUTPUT_TAIL_BYTES of each execution's output, replaced as it streams in.
CREATE TABLE run_output (
  id            INTEGER PRIMARY KEY,   -- the order executions started in
  run_seq       INTEGER NOT NULL,
  task_id       TEXT NOT NULL,
  attempt       INTEGER NOT NULL,
  worker        INTEGER,
  text          TEXT NOT NULL,
  dropped_bytes INTEGER NOT NULL DEFAULT 0,
  updated_at    TEXT NOT NULL,
  UNIQUE (run_seq, task_id, attempt)
);
`,
  },
];
