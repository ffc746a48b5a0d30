/**
 * The locking path for every change that is not a plain claim or completion: lock the row(s), run
 * the domain's transition in JavaScript (src/domain/transitions.ts, the rules live there once), write
 * the result back, and fix the dependents' counters. A few round trips inside one transaction.
 *
 * Locking: FOR NO KEY UPDATE on the task rows, in id order when there are several (no deadlock
 * between two batches). The dependents are updated by a later statement of the same transaction:
 * in READ COMMITTED it sees every add that committed before we took the lock, and an add that comes
 * later waits for our lock (create.ts) and then sees the new status. So `unmet_deps` is never off.
 */
import type { Statement } from "../db.js";
import { NOW_MS } from "./time.js";

/** One task, locked, with the database time. $1 seq. */
export const lockOne = (s: string): Statement => ({
  name: "ralph_lock_one",
  text: `SELECT t.*, ${NOW_MS} AS now_ms FROM ${s}.tasks t WHERE seq = $1 FOR NO KEY UPDATE`,
});

/** Several tasks, locked in id order. $1 seqs. */
export const lockMany = (s: string): Statement => ({
  text: `SELECT t.*, ${NOW_MS} AS now_ms FROM ${s}.tasks t WHERE seq = ANY($1::bigint[]) ORDER BY seq FOR NO KEY UPDATE`,
});

/**
 * Up to 100 tasks whose lease ran out, oldest first. SKIP LOCKED: a task locked right now is being
 * expired by another server, or completed or renewed by its worker; either way not ours to expire.
 */
export const lockExpired = (s: string): Statement => ({
  name: "ralph_lock_expired",
  text: `
SELECT t.*, ${NOW_MS} AS now_ms FROM ${s}.tasks t
WHERE status = 'in_progress' AND lease_expires_at <= date_trunc('milliseconds', clock_timestamp())
ORDER BY lease_expires_at
LIMIT 100
FOR NO KEY UPDATE SKIP LOCKED`,
});

/** Dependencies of a task that are not completed yet (start_task's message). $1 seq. */
export const unmetDependencies = (s: string): Statement => ({
  text: `
SELECT t.seq FROM ${s}.task_deps d JOIN ${s}.tasks t ON t.seq = d.dep_seq
WHERE d.task_seq = $1 AND t.status <> 'completed'
ORDER BY t.seq`,
});

/**
 * Write transitioned tasks back, all in one statement (rows already locked).
 * $1 seqs, $2 statuses, $3 attempts, $4 results, $5 failure reasons, $6 feedback (JSON, NULL when none),
 * $7 started_at, $8 completed_at, $9 updated_at, $10 lease_expires_at, $11 claimed_by, $12 not_before.
 */
export const save = (s: string): Statement => ({
  name: "ralph_save",
  text: `
UPDATE ${s}.tasks t
SET status = u.status, attempts = u.attempts, result = u.result, failure_reason = u.failure_reason,
    feedback = u.feedback, started_at = u.started_at, completed_at = u.completed_at,
    updated_at = u.updated_at, lease_expires_at = u.lease_expires_at, claimed_by = u.claimed_by,
    not_before = u.not_before
FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[], $6::jsonb[], $7::timestamptz[],
            $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::text[], $12::timestamptz[])
  AS u(seq, status, attempts, result, failure_reason, feedback, started_at, completed_at, updated_at,
       lease_expires_at, claimed_by, not_before)
WHERE t.seq = u.seq
RETURNING t.*`,
});

/** Lock the dependents of some tasks, in id order, before changing their counters. $1 dependency seqs. */
export const lockDependents = (s: string): Statement => ({
  text: `
SELECT seq FROM ${s}.tasks
WHERE seq IN (SELECT task_seq FROM ${s}.task_deps WHERE dep_seq = ANY($1::bigint[]))
ORDER BY seq FOR NO KEY UPDATE`,
});

/**
 * Dependencies that became completed (-1) or stopped being completed (+1): move their dependents'
 * `unmet_deps`. $1 dependency seqs, $2 deltas.
 */
export const adjustDependents = (s: string): Statement => ({
  text: `
UPDATE ${s}.tasks t SET unmet_deps = t.unmet_deps + d.delta
FROM (
  SELECT e.task_seq, sum(c.delta)::int AS delta
  FROM unnest($1::bigint[], $2::int[]) AS c(dep_seq, delta)
  JOIN ${s}.task_deps e ON e.dep_seq = c.dep_seq
  GROUP BY e.task_seq
) d
WHERE t.seq = d.task_seq`,
});
