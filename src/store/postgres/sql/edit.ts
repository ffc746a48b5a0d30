/**
 * Editing tasks by hand (edit.ts): update a pending task, delete one, import exported tasks, and
 * the queue-ordered listing. Rare next to claims and completions, so plain statements inside the
 * locking path's transactions.
 */
import type { Statement } from "../db.js";

/** $1 seq, $2 description, $3 criteria, $4 priority, $5 max_attempts, $6 tags (JSON or NULL), $7 updated_at. */
export const updateFields = (s: string): Statement => ({
  text: `
UPDATE ${s}.tasks SET description = $2, criteria = $3, priority = $4, max_attempts = $5, tags = $6::jsonb,
  updated_at = $7::timestamptz
WHERE seq = $1`,
});

/** $1 seq. */
export const deleteEdgesOf = (s: string): Statement => ({
  text: `DELETE FROM ${s}.task_deps WHERE task_seq = $1`,
});

/** The task and (ON DELETE CASCADE) its edges. $1 seq. */
export const deleteOne = (s: string): Statement => ({
  text: `DELETE FROM ${s}.tasks WHERE seq = $1`,
});

/** Whether task $2 is among what tasks $1 depend on, directly or not (a new edge would close a cycle). */
export const reaches = (s: string): Statement => ({
  text: `
WITH RECURSIVE r(seq) AS (
  SELECT unnest($1::bigint[])
  UNION SELECT d.dep_seq FROM ${s}.task_deps d JOIN r ON d.task_seq = r.seq
)
SELECT 1 AS hit FROM r WHERE seq = $2 LIMIT 1`,
});

/** Set depends_on as shown and recount unmet_deps from the edges. $1 seqs, $2 depends_on (JSON or NULL). */
export const setDeps = (s: string): Statement => ({
  text: `
UPDATE ${s}.tasks t SET depends_on = u.deps,
  unmet_deps = (SELECT count(*) FROM ${s}.task_deps d JOIN ${s}.tasks x ON x.seq = d.dep_seq
                WHERE d.task_seq = t.seq AND x.status <> 'completed')
FROM unnest($1::bigint[], $2::jsonb[]) AS u(seq, deps)
WHERE t.seq = u.seq`,
});

/** Mark tasks as having dependents. $1 seqs. */
export const flagDependents = (s: string): Statement => ({
  text: `UPDATE ${s}.tasks SET has_dependents = true WHERE seq = ANY($1::bigint[]) AND NOT has_dependents`,
});

/** The tasks (seq, description, created_at) by these seqs: which are taken, and by what. $1 seqs. */
export const existingSeqs = (s: string): Statement => ({
  text: `SELECT seq, description, created_at FROM ${s}.tasks WHERE seq = ANY($1::bigint[])`,
});

/** Move the id sequence past ids given explicitly. $1 the highest id kept. */
export const advanceSeq = (s: string): Statement => ({
  text: `SELECT setval('${s}.task_seq', GREATEST($1::bigint, (SELECT last_value FROM ${s}.task_seq)))`,
});

/**
 * Imported tasks, whole, with their ids drawn. $1 seqs, $2 descriptions, $3 criteria, $4 priorities,
 * $5 max_attempts, $6 attempts, $7 statuses, $8 results, $9 failure reasons, $10 feedback, $11 tags,
 * $12 keys, $13 created_at, $14 started_at, $15 completed_at, $16 updated_at.
 */
export const importInsert = (s: string): Statement => ({
  text: `
INSERT INTO ${s}.tasks (seq, description, criteria, priority, max_attempts, attempts, status, result,
  failure_reason, feedback, tags, idempotency_key, created_at, started_at, completed_at, updated_at)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[], $7::text[],
  $8::text[], $9::text[], $10::jsonb[], $11::jsonb[], $12::text[], $13::timestamptz[], $14::timestamptz[],
  $15::timestamptz[], $16::timestamptz[])`,
});

/**
 * Queue order (ListQuery.order "queue"): in progress, ready pending by priority then age, blocked,
 * failed, completed, each by id. Paged by position. $1 offset, $2 limit, $3 status or NULL.
 */
export const listQueue = (s: string): Statement => ({
  text: `
WITH page AS (
  SELECT * FROM ${s}.tasks WHERE $3::text IS NULL OR status = $3
  ORDER BY CASE status WHEN 'in_progress' THEN 0
      WHEN 'pending' THEN CASE WHEN unmet_deps = 0 THEN 1 ELSE 2 END WHEN 'failed' THEN 3 ELSE 4 END,
    CASE WHEN status = 'pending' AND unmet_deps = 0 THEN priority ELSE 0 END, seq
  OFFSET $1 LIMIT $2
)
SELECT (SELECT count(*) FROM ${s}.tasks WHERE $3::text IS NULL OR status = $3)::int AS total, page.*
FROM (VALUES (1)) AS one LEFT JOIN page ON true`,
});
