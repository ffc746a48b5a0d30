-- user_version 4

-- index runs_running
CREATE INDEX runs_running ON runs (updated_at) WHERE status = 'running';

-- index task_deps_by_dep
CREATE INDEX task_deps_by_dep ON task_deps (dep_seq, task_seq);

-- index tasks_blocked
CREATE INDEX tasks_blocked ON tasks (seq) WHERE status = 'pending' AND unmet_deps > 0;

-- index tasks_ready
CREATE INDEX tasks_ready ON tasks (priority, seq) WHERE status = 'pending' AND unmet_deps = 0;

-- index tasks_status
CREATE INDEX tasks_status ON tasks (status, seq);

-- table changes
CREATE TABLE changes (
  seq       INTEGER PRIMARY KEY,
  origin    TEXT NOT NULL,   -- which store object wrote it, so a process skips its own
  kind      TEXT NOT NULL,
  task_seqs TEXT             -- JSON array of task seqs, NULL for "everything"
);

-- table run_output
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

-- table runs
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

-- table sqlite_sequence
CREATE TABLE sqlite_sequence(name,seq);

-- table task_counts
CREATE TABLE task_counts (
  status   TEXT PRIMARY KEY,
  n        INTEGER NOT NULL,
  attempts INTEGER NOT NULL
) WITHOUT ROWID;

-- table task_deps
CREATE TABLE task_deps (
  task_seq INTEGER NOT NULL,
  dep_seq  INTEGER NOT NULL,
  PRIMARY KEY (task_seq, dep_seq)
) WITHOUT ROWID;

-- table tasks
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
, not_before TEXT);

-- trigger tasks_count_delete
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN
  UPDATE task_counts SET n = n - 1, attempts = attempts - OLD.attempts WHERE status = OLD.status;
END;

-- trigger tasks_count_insert
CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN
  UPDATE task_counts SET n = n + 1, attempts = attempts + NEW.attempts WHERE status = NEW.status;
END;

-- trigger tasks_count_update
CREATE TRIGGER tasks_count_update AFTER UPDATE OF status, attempts ON tasks
  WHEN OLD.status IS NOT NEW.status OR OLD.attempts IS NOT NEW.attempts BEGIN
  UPDATE task_counts SET n = n - 1, attempts = attempts - OLD.attempts WHERE status = OLD.status;
  UPDATE task_counts SET n = n + 1, attempts = attempts + NEW.attempts WHERE status = NEW.status;
END;
