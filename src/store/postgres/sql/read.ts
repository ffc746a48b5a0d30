/** Reads. No locks: each statement sees the state committed when it started. */
import type { Statement } from "../db.js";

export const getOne = (s: string): Statement => ({
  name: "ralph_get",
  text: `SELECT * FROM ${s}.tasks WHERE seq = $1`,
});

/**
 * A page of tasks after a cursor, with the total matching count in the same snapshot. The one-row
 * LEFT JOIN keeps the total when the page is empty. $1 after seq, $2 limit (+1 to see a next page).
 */
export const listAll = (s: string): Statement => ({
  name: "ralph_list_all",
  text: `
WITH page AS (SELECT * FROM ${s}.tasks WHERE seq > $1 ORDER BY seq LIMIT $2)
SELECT (SELECT count(*) FROM ${s}.tasks)::int AS total, page.*
FROM (VALUES (1)) AS one LEFT JOIN page ON true
ORDER BY page.seq`,
});

/**
 * As listAll, for one status. Unnamed (planned anew with the status given), so the planner picks
 * that status's partial index (migrations.ts); completed tasks are found through the primary key.
 * $3 status.
 */
export const listByStatus = (s: string): Statement => ({
  text: `
WITH page AS (SELECT * FROM ${s}.tasks WHERE status = $3 AND seq > $1 ORDER BY seq LIMIT $2)
SELECT (SELECT count(*) FROM ${s}.tasks WHERE status = $3)::int AS total, page.*
FROM (VALUES (1)) AS one LEFT JOIN page ON true
ORDER BY page.seq`,
});

/**
 * Counts per status and the attempts behind them, counted when asked (one pass over the table)
 * rather than kept in a counter row that every claim and completion would have to update, and so
 * serialize on; plus the pending tasks still waiting for a dependency (tasks_blocked).
 */
export const stats = (s: string): Statement => ({
  name: "ralph_stats",
  text: `
SELECT status, count(*)::int AS n, coalesce(sum(attempts), 0)::int AS attempts
FROM ${s}.tasks GROUP BY status
UNION ALL
SELECT 'blocked', count(*)::int, 0 FROM ${s}.tasks WHERE status = 'pending' AND unmet_deps > 0`,
});

/** Ids to suggest when an id is unknown: the next ready ones (tasks_ready), else the newest. */
export const suggestions = (s: string): Statement => ({
  text: `
(SELECT 'pending' AS kind, seq FROM ${s}.tasks WHERE status = 'pending' AND unmet_deps = 0
 ORDER BY priority, seq LIMIT 5)
UNION ALL
(SELECT 'recent', seq FROM ${s}.tasks ORDER BY seq DESC LIMIT 5)`,
});

/** The newest ids, for argument completion. $1 how many. */
export const recentSeqs = (s: string): Statement => ({
  text: `SELECT seq FROM ${s}.tasks ORDER BY seq DESC LIMIT $1`,
});
