/**
 * complete in one statement, writing what the domain's COMPLETE_WRITES say (src/domain/claim.ts),
 * for the common case: the task exists, may be completed from its
 * status, is held by the caller (when the caller names itself; with `requireHeld`, it must still be
 * in progress under that caller), and no other task depends on it.
 * Returns no row otherwise, and the store takes the locking path (transition.ts), which says why or
 * also updates the dependents. So this statement's conditions may be stricter than the domain's
 * (then the locking path decides by the domain's rules), never looser.
 *
 * Locking: the UPDATE's own row lock. A concurrent writer of the same task waits for it; in READ
 * COMMITTED the WHERE clause is re-checked against the committed row, so a task completed, failed or
 * reclaimed by another worker meanwhile is not overwritten. `NOT has_dependents` keeps the
 * dependents' `unmet_deps` counters right without a second statement: an add that makes this task
 * a dependency sets the flag under the same row lock before it commits (create.ts), so either this
 * statement sees the flag (and leaves the work to the locking path) or the add sees the task
 * completed.
 *
 * $1 seq, $2 result, $3 statuses complete is allowed from, $4 worker id or null, $5 requireHeld.
 */
import { COMPLETE_WRITES } from "../../../domain/claim.js";
import { setClause } from "../../set-clause.js";
import type { Statement } from "../db.js";
import { STATEMENT_NOW } from "./time.js";

export const complete = (s: string): Statement => ({
  name: "ralph_complete",
  text: `
UPDATE ${s}.tasks
SET ${setClause(COMPLETE_WRITES, { now: STATEMENT_NOW, result: "$2" })}
WHERE seq = $1 AND status = ANY($3::text[]) AND NOT has_dependents
  AND ($4::text IS NULL
       OR (status = 'in_progress' AND claimed_by = $4)
       OR (NOT $5::bool AND status <> 'in_progress'))
RETURNING *`,
});

/**
 * Several completions at once (calls made together in one process, batch.ts), on the same terms
 * as `complete`; returns the rows completed, and the store takes the locking path for the others.
 * $1 seqs (each once), $2 results, $3 worker ids or nulls, $4 statuses complete is allowed from,
 * $5 requireHeld flags.
 */
export const completeMany = (s: string): Statement => ({
  name: "ralph_complete_many",
  text: `
UPDATE ${s}.tasks t
SET ${setClause(COMPLETE_WRITES, { now: STATEMENT_NOW, result: "u.result" })}
FROM unnest($1::bigint[], $2::text[], $3::text[], $5::bool[]) AS u(seq, result, worker_id, require_held)
WHERE t.seq = u.seq AND t.status = ANY($4::text[]) AND NOT t.has_dependents
  AND (u.worker_id IS NULL
       OR (t.status = 'in_progress' AND t.claimed_by = u.worker_id)
       OR (NOT u.require_held AND t.status <> 'in_progress'))
RETURNING t.*`,
});
