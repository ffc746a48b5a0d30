/** Orchestrator runs (migration 2). Few rows, written at a run's heartbeat: plain statements. */
import type { Statement } from "../db.js";
import { NOW_MS, STATEMENT_NOW } from "./time.js";

export const drawRunSeq = (s: string): Statement => ({
  text: `SELECT nextval('${s}.run_seq') AS seq`,
});

/** $1 seq, $2 max_tasks, $3 worker id, $4 settings (JSON), $5 stats (JSON). */
export const insertRun = (s: string): Statement => ({
  text: `
INSERT INTO ${s}.runs (seq, started_at, updated_at, max_tasks, status, worker_id, settings, stats)
VALUES ($1, ${STATEMENT_NOW}, ${STATEMENT_NOW}, $2, 'running', $3, $4::jsonb, $5::jsonb)
RETURNING *`,
});

export const getRun = (s: string): Statement => ({
  name: "ralph_get_run",
  text: `SELECT * FROM ${s}.runs WHERE seq = $1`,
});

/** Newest first. $1 how many. */
export const listRuns = (s: string): Statement => ({
  text: `SELECT * FROM ${s}.runs ORDER BY seq DESC LIMIT $1`,
});

/** A run, locked for a read-modify-write (update), with the database time. $1 seq. */
export const lockRun = (s: string): Statement => ({
  name: "ralph_lock_run",
  text: `SELECT r.*, ${NOW_MS} AS now_ms FROM ${s}.runs r WHERE seq = $1 FOR NO KEY UPDATE`,
});

/**
 * Write a run back; `updated_at` (the heartbeat) is the database's time.
 * $1 seq, $2 status, $3 stop_code, $4 stop_reason, $5 stats (JSON), $6 current (JSON or null),
 * $7 finished_at.
 */
export const saveRun = (s: string): Statement => ({
  name: "ralph_save_run",
  text: `
UPDATE ${s}.runs
SET status = $2, stop_code = $3, stop_reason = $4, stats = $5::jsonb, current = $6::jsonb,
    finished_at = $7::timestamptz, updated_at = date_trunc('milliseconds', clock_timestamp())
WHERE seq = $1
RETURNING *`,
});

/** Ask a running run to stop; no row when it has ended (or does not exist). $1 seq. */
export const requestCancel = (s: string): Statement => ({
  text: `
UPDATE ${s}.runs SET cancel_requested = true, updated_at = ${STATEMENT_NOW}
WHERE seq = $1 AND status = 'running'
RETURNING *`,
});

/**
 * Running runs whose heartbeat is older than $1 milliseconds, by the database clock (servers'
 * clocks need not agree). SKIP LOCKED: a run being updated right now is alive.
 */
export const lockStaleRuns = (s: string): Statement => ({
  text: `
SELECT r.*, ${NOW_MS} AS now_ms FROM ${s}.runs r
WHERE status = 'running' AND updated_at < clock_timestamp() - $1::float8 * interval '1 millisecond'
ORDER BY seq
LIMIT 100
FOR NO KEY UPDATE SKIP LOCKED`,
});

/** Keep an execution's output tail. $1 run seq, $2 task id, $3 attempt, $4 worker, $5 text, $6 dropped bytes. */
export const saveOutput = (s: string): Statement => ({
  name: "ralph_save_output",
  text: `
INSERT INTO ${s}.run_output (run_seq, task_id, attempt, worker, text, dropped_bytes, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, ${STATEMENT_NOW})
ON CONFLICT (run_seq, task_id, attempt) DO UPDATE SET worker = excluded.worker, text = excluded.text,
  dropped_bytes = excluded.dropped_bytes, updated_at = excluded.updated_at`,
});

/** A run's output tails in the order its executions started. $1 run seq. */
export const listOutputs = (s: string): Statement => ({
  text: `SELECT * FROM ${s}.run_output WHERE run_seq = $1 ORDER BY id`,
});
