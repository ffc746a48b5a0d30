/** Whole-queue operations, rare and administrative. */
import type { Statement } from "../db.js";
import { STATEMENT_NOW } from "./time.js";

/**
 * Locking: EXCLUSIVE mode lets readers on but waits for, and then holds off, every writer. A reset
 * rewrites every row and recomputes every `unmet_deps` from the edges; an add running alongside
 * could otherwise count a dependency as completed that the reset is making pending again.
 */
export const lockForReset = (s: string): Statement => ({
  text: `LOCK TABLE ${s}.tasks IN EXCLUSIVE MODE`,
});

/** Every task back to a fresh pending; returns how many. */
export const resetAll = (s: string): Statement => ({
  text: `
WITH reset AS (
  UPDATE ${s}.tasks t
  SET status = 'pending', attempts = 0, result = NULL, failure_reason = NULL, feedback = NULL,
      started_at = NULL, completed_at = NULL, updated_at = ${STATEMENT_NOW}, lease_expires_at = NULL,
      claimed_by = NULL, not_before = NULL, unmet_deps = (SELECT count(*) FROM ${s}.task_deps d WHERE d.task_seq = t.seq)
  RETURNING 1
)
SELECT count(*)::int AS n FROM reset`,
});

/**
 * A whole-queue statement may take longer than the per-statement limit (about 10 µs a row here:
 * clearing three million completed tasks takes half a minute). Inside its transaction only.
 */
export const allowLongStatement = (): Statement => ({
  text: "SET LOCAL statement_timeout = '10min'",
});

/**
 * Delete completed tasks; returns how many, and their ids when there are at most 1,000 (for the
 * change event). Their edges go with them (ON DELETE CASCADE): dependents had already counted them
 * as met. No table lock: a task completed after this statement's snapshot stays, and one being
 * taken out of "completed" is re-checked when its row lock is released.
 */
export const clearCompleted = (s: string): Statement => ({
  text: `
WITH deleted AS (DELETE FROM ${s}.tasks WHERE status = 'completed' RETURNING seq)
SELECT count(*)::int AS n, CASE WHEN count(*) <= 1000 THEN array_agg(seq ORDER BY seq) END AS seqs
FROM deleted`,
});
