/**
 * claimNext in one statement (one round trip, no BEGIN/COMMIT): take the first eligible task by
 * the domain's rule (src/domain/claim.ts: pending, dependencies completed, attempts not spent; by
 * priority, then age) and write what the domain's CLAIM_WRITES say a claim writes.
 *
 * Locking: `FOR NO KEY UPDATE SKIP LOCKED` on the head of the `tasks_ready` partial index.
 * Concurrent claimers each lock a different row instead of queueing on the same one (plain
 * FOR UPDATE: they would wait for the first claimer's commit, then find the row taken) or taking
 * the same task twice (no lock). In READ COMMITTED a row that another claimer changed and committed
 * after our snapshot is re-checked against the WHERE clause before it is locked and skipped when it
 * is no longer pending, so a task is never claimed twice. NO KEY UPDATE (rather than UPDATE) does
 * not conflict with the KEY SHARE locks that foreign-key checks take when a task is added that
 * depends on this one.
 *
 * Stalled claims (a lease that ran out) are not looked for here, to keep this statement as cheap as
 * a bare claim: the store runs the expiry path as the domain says (LEASE_RECOVERY_MS; hot-path.ts).
 *
 * $1 worker id, $2 lease in milliseconds.
 */
import { CLAIM_WRITES } from "../../../domain/claim.js";
import { setClause } from "../../set-clause.js";
import type { Statement } from "../db.js";
import { STATEMENT_NOW } from "./time.js";

/** The domain's eligibility and order (src/domain/claim.ts), as a WHERE and ORDER BY on `tasks_ready`. */
const ELIGIBLE = `status = 'pending' AND unmet_deps = 0 AND attempts < max_attempts
  AND (not_before IS NULL OR not_before <= ${STATEMENT_NOW})`;
const ORDER = "priority, seq";

export const claim = (s: string): Statement => ({
  name: "ralph_claim",
  text: `
UPDATE ${s}.tasks
SET ${setClause(CLAIM_WRITES, {
    now: STATEMENT_NOW,
    lease_end: `${STATEMENT_NOW} + $2::float8 * interval '1 millisecond'`,
    worker: "$1",
    attempts: "attempts",
  })}
WHERE seq = (
  SELECT seq FROM ${s}.tasks
  WHERE ${ELIGIBLE}
  ORDER BY ${ORDER}
  LIMIT 1
  FOR NO KEY UPDATE SKIP LOCKED
)
RETURNING *`,
});

/**
 * Several claims at once (calls made together in one process, batch.ts): the first $3 eligible
 * tasks, locked as above, handed out in queue order to the callers in call order.
 * $1 worker ids, $2 leases in milliseconds, $3 how many.
 */
export const claimMany = (s: string): Statement => ({
  name: "ralph_claim_many",
  text: `
WITH next AS MATERIALIZED (
  SELECT seq, priority FROM ${s}.tasks
  WHERE ${ELIGIBLE}
  ORDER BY ${ORDER}
  LIMIT $3
  FOR NO KEY UPDATE SKIP LOCKED
), numbered AS (
  SELECT seq, row_number() OVER (ORDER BY priority, seq) AS ord FROM next
), req AS (
  SELECT * FROM unnest($1::text[], $2::float8[]) WITH ORDINALITY AS r(worker_id, lease_ms, ord)
)
UPDATE ${s}.tasks t
SET ${setClause(CLAIM_WRITES, {
    now: STATEMENT_NOW,
    lease_end: `${STATEMENT_NOW} + req.lease_ms * interval '1 millisecond'`,
    worker: "req.worker_id",
    attempts: "t.attempts",
  })}
FROM numbered JOIN req USING (ord)
WHERE t.seq = numbered.seq
RETURNING t.*, req.ord::int AS ord`,
});

/** The next task without claiming it (peekNext): the same order, no lock. */
export const peekNext = (s: string): Statement => ({
  name: "ralph_peek_next",
  text: `
SELECT * FROM ${s}.tasks
WHERE ${ELIGIBLE}
ORDER BY ${ORDER}
LIMIT 1`,
});
