/**
 * Adding tasks. Every batch is one INSERT over unnest() arrays, whatever its size.
 *
 * Without dependencies (the common case) an add is one statement, `insertPlain`. With
 * dependencies it is a transaction (create.ts, insertWithDependencies) of: `byKeys`,
 * `flagDependencies` + `lockDependencies`, `allocateSeqs`, `insertTasks`, `insertEdges`.
 *
 * Idempotency keys have a unique index (partial: only tasks that have a key). `ON CONFLICT
 * (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING` settles two concurrent adds with
 * the same key: the second waits for the first to commit, then inserts nothing, and the store
 * returns the first task.
 */
import type { Statement } from "../db.js";
import { STATEMENT_NOW } from "./time.js";

/**
 * Tasks without dependencies, in one statement. A key already stored is filtered out before its
 * row draws an id (no gap in the ids for a repeated add); a key that a concurrent add commits
 * meanwhile is caught by ON CONFLICT. Returns (ord, seq, created_at) for the rows inserted; `ord`
 * is the 1-based position in the arrays, so ids map back to items exactly.
 *
 * $1 descriptions, $2 criteria, $3 priorities, $4 max_attempts, $5 tags (JSON, NULL when none), $6 keys,
 * $7 not_before (run_at).
 */
export const insertPlain = (s: string): Statement => ({
  name: "ralph_insert_plain",
  text: `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::jsonb[], $6::text[], $7::timestamptz[])
    WITH ORDINALITY AS i(description, criteria, priority, max_attempts, tags, idempotency_key, not_before, ord)
), fresh AS (
  SELECT nextval('${s}.task_seq') AS seq, i.* FROM input i
  WHERE i.idempotency_key IS NULL
     OR NOT EXISTS (SELECT 1 FROM ${s}.tasks t WHERE t.idempotency_key = i.idempotency_key)
  ORDER BY i.ord
), inserted AS (
  INSERT INTO ${s}.tasks (seq, description, criteria, priority, max_attempts, status, tags,
                          idempotency_key, created_at, updated_at, not_before)
  SELECT seq, description, criteria, priority, max_attempts, 'pending', tags, idempotency_key,
         ${STATEMENT_NOW}, ${STATEMENT_NOW}, not_before
  FROM fresh
  ORDER BY ord
  ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING seq, created_at
)
SELECT fresh.ord::int AS ord, inserted.seq, inserted.created_at
FROM inserted JOIN fresh USING (seq)`,
});

/** The stored tasks with these idempotency keys. $1 keys. */
export const byKeys = (s: string): Statement => ({
  text: `SELECT * FROM ${s}.tasks WHERE idempotency_key = ANY($1::text[])`,
});

/**
 * Mark the dependencies of the tasks being added as having dependents, before reading their status.
 *
 * Locking: only rows not flagged yet are updated (the first add that depends on a task, once), so
 * adds that depend on the same popular task do not serialize on its row afterwards. Rows are locked
 * in id order (the ORDER BY under FOR NO KEY UPDATE), so two adds cannot deadlock on each other.
 * $1 seqs.
 */
export const flagDependencies = (s: string): Statement => ({
  text: `
UPDATE ${s}.tasks SET has_dependents = true
WHERE seq IN (
  SELECT seq FROM ${s}.tasks WHERE seq = ANY($1::bigint[]) AND NOT has_dependents
  ORDER BY seq FOR NO KEY UPDATE
)`,
});

/**
 * The dependencies' status, held until commit.
 *
 * Locking: FOR SHARE blocks every status change of those tasks (a completion, a retry) until this
 * add commits, and lets other adds share the lock. A dependency completed by a transaction that
 * committed while we waited is re-read at its committed version, so the new task's `unmet_deps`
 * counts exactly the dependencies that are not completed. $1 seqs.
 */
export const lockDependencies = (s: string): Statement => ({
  text: `SELECT seq, status FROM ${s}.tasks WHERE seq = ANY($1::bigint[]) ORDER BY seq FOR SHARE`,
});

/** $1 how many ids to draw from the sequence; returned in the order drawn, with the time. */
export const allocateSeqs = (s: string): Statement => ({
  text: `
SELECT nextval('${s}.task_seq') AS seq, floor(extract(epoch FROM statement_timestamp()) * 1000)::float8 AS now_ms
FROM generate_series(1, $1::int)`,
});

/**
 * Tasks with their ids already drawn. Returns the ids inserted: fewer than given means a concurrent
 * add took one of the keys, and the transaction runs again.
 * $1 seqs, $2 descriptions, $3 criteria, $4 priorities, $5 max_attempts, $6 depends_on (JSON, NULL
 * when none), $7 tags (JSON, NULL when none), $8 keys, $9 unmet_deps, $10 has_dependents,
 * $11 created_at, $12 not_before (run_at).
 */
export const insertTasks = (s: string): Statement => ({
  text: `
INSERT INTO ${s}.tasks (seq, description, criteria, priority, max_attempts, status, depends_on, tags,
                        idempotency_key, unmet_deps, has_dependents, created_at, updated_at, not_before)
SELECT seq, description, criteria, priority, max_attempts, 'pending', depends_on, tags, idempotency_key,
       unmet_deps, has_dependents, $11::timestamptz, $11::timestamptz, not_before
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::int[], $6::jsonb[], $7::jsonb[],
            $8::text[], $9::int[], $10::bool[], $12::timestamptz[])
  AS i(seq, description, criteria, priority, max_attempts, depends_on, tags, idempotency_key, unmet_deps,
       has_dependents, not_before)
ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING seq`,
});

/** Dependency edges. $1 task seqs, $2 dependency seqs. */
export const insertEdges = (s: string): Statement => ({
  text: `
INSERT INTO ${s}.task_deps (task_seq, dep_seq)
SELECT * FROM unnest($1::bigint[], $2::bigint[])
ON CONFLICT DO NOTHING`,
});
