/**
 * The SQLite store's statements, prepared once per connection.
 *
 * The partial indexes are named with INDEXED BY: without ANALYZE statistics SQLite prefers
 * tasks_status and scans every pending row (measured: a claim cost 170 ms with a million tasks),
 * and INDEXED BY fails loudly if an index ever goes missing.
 */

import { CLAIM_WRITES, COMPLETE_WRITES } from "../../domain/claim.js";
import type { TaskStatus } from "../../domain/task.js";
import { ALLOWED_FROM } from "../../domain/transitions.js";
import { setClause, statusList } from "../set-clause.js";
import type { ChangeEvent } from "../types.js";
import type { SqliteDatabase, SqliteStatement } from "./driver.js";
import type { Row } from "./rows.js";

type Statement<P extends unknown[] = unknown[], R = unknown> = SqliteStatement<P, R>;

export interface ClaimParams {
  now: string;
  lease_end: string;
  worker: string;
}

export interface CompleteParams {
  seq: number;
  now: string;
  result: string;
  worker: string | null;
  /** 1 or 0. */
  require_held: number;
}

/** The domain's eligibility and order (src/domain/claim.ts) on `tasks_ready`; `now` is a parameter. */
const ELIGIBLE = (now: string) =>
  `status = 'pending' AND unmet_deps = 0 AND attempts < max_attempts AND (not_before IS NULL OR not_before <= ${now}) ORDER BY priority, seq`;

export interface Statements {
  getBySeq: Statement<[number], Row>;
  getByKey: Statement<[string], Row>;
  next: Statement<[string], Row>;
  claim: Statement<[ClaimParams], Row>;
  completeOne: Statement<[CompleteParams], Row>;
  expired: Statement<[string], Row>;
  insert: Statement;
  insertDep: Statement;
  depsOf: Statement<[number], { seq: number }>;
  setDeps: Statement;
  update: Statement;
  adjustDependents: Statement;
  unmetDeps: Statement<[number], { seq: number }>;
  listAll: Statement<[number, number], Row>;
  listByStatus: Statement<[string, number, number], Row>;
  counts: Statement<[], { status: TaskStatus; n: number; attempts: number }>;
  blocked: Statement<[], { n: number }>;
  suggestPending: Statement<[], { seq: number }>;
  suggestRecent: Statement<[], { seq: number }>;
  recentSeqs: Statement<[number], { seq: number }>;
  resetAll: Statement;
  completedSeqs: Statement<[], { seq: number }>;
  deleteEdgesTo: Statement;
  deleteEdgesFrom: Statement;
  deleteCompleted: Statement;
  insertChange: Statement;
  pruneChanges: Statement;
  listQueue: Statement<[number, number], Row>;
  listQueueByStatus: Statement<[string, number, number], Row>;
  updateFields: Statement;
  deleteEdgesOf: Statement<[number]>;
  deleteEdgesToOne: Statement<[number]>;
  deleteOne: Statement<[number]>;
  reaches: Statement<[string, number], { hit: number }>;
  importInsert: Statement;
  changesAfter: Statement<
    [number],
    { seq: number; origin: string; kind: ChangeEvent["kind"]; task_seqs: string | null }
  >;
  minChange: Statement<[], { s: number | null }>;
  maxChange: Statement<[], { s: number }>;
}

/**
 * Queue order (ListQuery.order "queue"): in progress, then ready pending tasks in claim order
 * (priority, then age), then blocked ones, then failed, then completed, each by id.
 */
const QUEUE_ORDER = `ORDER BY CASE status WHEN 'in_progress' THEN 0
    WHEN 'pending' THEN CASE WHEN unmet_deps = 0 THEN 1 ELSE 2 END WHEN 'failed' THEN 3 ELSE 4 END,
  CASE WHEN status = 'pending' AND unmet_deps = 0 THEN priority ELSE 0 END, seq`;

export function prepareStatements(db: SqliteDatabase): Statements {
  return {
    getBySeq: db.prepare<[number], Row>("SELECT * FROM tasks WHERE seq = ?"),
    getByKey: db.prepare<[string], Row>("SELECT * FROM tasks WHERE idempotency_key = ?"),
    next: db.prepare<[string], Row>(
      `SELECT * FROM tasks INDEXED BY tasks_ready WHERE ${ELIGIBLE("?")} LIMIT 1`,
    ),
    // The hot path in one statement each, writing what the domain's tables say (src/domain/claim.ts).
    claim: db.prepare<[ClaimParams], Row>(
      `UPDATE tasks SET ${setClause(CLAIM_WRITES, { now: "@now", lease_end: "@lease_end", worker: "@worker", attempts: "attempts" })}
       WHERE seq = (SELECT seq FROM tasks INDEXED BY tasks_ready WHERE ${ELIGIBLE("@now")} LIMIT 1)
       RETURNING *`,
    ),
    // A plain completion; no row when the domain may say otherwise (transition.ts then asks it).
    completeOne: db.prepare<[CompleteParams], Row>(
      `UPDATE tasks SET ${setClause(COMPLETE_WRITES, { now: "@now", result: "@result" })}
       WHERE seq = @seq AND status IN (${statusList(ALLOWED_FROM.complete)})
         AND (@worker IS NULL OR (status = 'in_progress' AND claimed_by = @worker)
              OR (@require_held = 0 AND status <> 'in_progress'))
       RETURNING *`,
    ),
    expired: db.prepare<[string], Row>(
      // In-progress tasks are few (one per worker): scanning them beats keeping a lease index
      // up to date on every claim and completion.
      "SELECT * FROM tasks INDEXED BY tasks_status WHERE status = 'in_progress' AND lease_expires_at <= ? LIMIT 100",
    ),
    insert: db.prepare(
      `INSERT INTO tasks (description, criteria, priority, max_attempts, status, depends_on, tags,
         idempotency_key, unmet_deps, created_at, updated_at, not_before)
       VALUES (@description, @criteria, @priority, @max_attempts, 'pending', @depends_on, @tags,
         @idempotency_key, @unmet_deps, @now, @now, @not_before)`,
    ),
    insertDep: db.prepare("INSERT OR IGNORE INTO task_deps (task_seq, dep_seq) VALUES (?, ?)"),
    depsOf: db.prepare<[number], { seq: number }>(
      "SELECT dep_seq AS seq FROM task_deps WHERE task_seq = ? ORDER BY dep_seq",
    ),
    setDeps: db.prepare(
      `UPDATE tasks SET depends_on = ?, unmet_deps = (SELECT count(*) FROM task_deps d JOIN tasks t ON t.seq = d.dep_seq
         WHERE d.task_seq = ? AND t.status != 'completed') WHERE seq = ?`,
    ),
    update: db.prepare(
      `UPDATE tasks SET status = @status, attempts = @attempts, result = @result,
         failure_reason = @failure_reason, feedback = @feedback, started_at = @started_at,
         completed_at = @completed_at, updated_at = @updated_at,
         lease_expires_at = @lease_expires_at, claimed_by = @claimed_by, not_before = @not_before
       WHERE seq = @seq`,
    ),
    adjustDependents: db.prepare(
      "UPDATE tasks SET unmet_deps = unmet_deps + ? WHERE seq IN (SELECT task_seq FROM task_deps WHERE dep_seq = ?)",
    ),
    unmetDeps: db.prepare<[number], { seq: number }>(
      `SELECT t.seq FROM task_deps d JOIN tasks t ON t.seq = d.dep_seq
       WHERE d.task_seq = ? AND t.status != 'completed' ORDER BY t.seq`,
    ),
    listAll: db.prepare<[number, number], Row>("SELECT * FROM tasks WHERE seq > ? ORDER BY seq LIMIT ?"),
    listByStatus: db.prepare<[string, number, number], Row>(
      "SELECT * FROM tasks WHERE status = ? AND seq > ? ORDER BY seq LIMIT ?",
    ),
    counts: db.prepare<[], { status: TaskStatus; n: number; attempts: number }>(
      "SELECT status, n, attempts FROM task_counts",
    ),
    blocked: db.prepare<[], { n: number }>(
      "SELECT count(*) AS n FROM tasks INDEXED BY tasks_blocked WHERE status = 'pending' AND unmet_deps > 0",
    ),
    suggestPending: db.prepare<[], { seq: number }>(
      "SELECT seq FROM tasks INDEXED BY tasks_ready WHERE status = 'pending' AND unmet_deps = 0 ORDER BY priority, seq LIMIT 5",
    ),
    suggestRecent: db.prepare<[], { seq: number }>("SELECT seq FROM tasks ORDER BY seq DESC LIMIT 5"),
    recentSeqs: db.prepare<[number], { seq: number }>("SELECT seq FROM tasks ORDER BY seq DESC LIMIT ?"),
    resetAll: db.prepare(
      `UPDATE tasks SET status = 'pending', attempts = 0, result = NULL, failure_reason = NULL,
         feedback = '[]', started_at = NULL, completed_at = NULL, updated_at = ?,
         lease_expires_at = NULL, claimed_by = NULL, not_before = NULL,
         unmet_deps = (SELECT count(*) FROM task_deps WHERE task_seq = tasks.seq)`,
    ),
    completedSeqs: db.prepare<[], { seq: number }>("SELECT seq FROM tasks WHERE status = 'completed'"),
    // Completed dependencies were already satisfied: dropping their edges changes no count.
    deleteEdgesTo: db.prepare("DELETE FROM task_deps WHERE dep_seq IN (SELECT value FROM json_each(?))"),
    deleteEdgesFrom: db.prepare("DELETE FROM task_deps WHERE task_seq IN (SELECT value FROM json_each(?))"),
    deleteCompleted: db.prepare("DELETE FROM tasks WHERE status = 'completed'"),
    listQueue: db.prepare<[number, number], Row>(`SELECT * FROM tasks ${QUEUE_ORDER} LIMIT ? OFFSET ?`),
    listQueueByStatus: db.prepare<[string, number, number], Row>(
      `SELECT * FROM tasks WHERE status = ? ${QUEUE_ORDER} LIMIT ? OFFSET ?`,
    ),
    updateFields: db.prepare(
      `UPDATE tasks SET description = @description, criteria = @criteria, priority = @priority,
         max_attempts = @max_attempts, tags = @tags, updated_at = @updated_at WHERE seq = @seq`,
    ),
    deleteEdgesOf: db.prepare<[number]>("DELETE FROM task_deps WHERE task_seq = ?"),
    deleteEdgesToOne: db.prepare<[number]>("DELETE FROM task_deps WHERE dep_seq = ?"),
    deleteOne: db.prepare<[number]>("DELETE FROM tasks WHERE seq = ?"),
    // Whether a task (the second parameter) is among the tasks some tasks (JSON array of seqs)
    // depend on, directly or not: making it depend on those would close a cycle.
    reaches: db.prepare<[string, number], { hit: number }>(
      `WITH RECURSIVE r(seq) AS (
         SELECT value FROM json_each(?)
         UNION SELECT d.dep_seq FROM task_deps d JOIN r ON d.task_seq = r.seq
       ) SELECT 1 AS hit FROM r WHERE seq = ? LIMIT 1`,
    ),
    importInsert: db.prepare(
      `INSERT INTO tasks (seq, description, criteria, priority, max_attempts, attempts, status, result,
         failure_reason, feedback, depends_on, tags, idempotency_key, unmet_deps, created_at, started_at,
         completed_at, updated_at)
       VALUES (@seq, @description, @criteria, @priority, @max_attempts, @attempts, @status, @result,
         @failure_reason, @feedback, '[]', @tags, @idempotency_key, 0, @created_at, @started_at,
         @completed_at, @updated_at)`,
    ),
    insertChange: db.prepare("INSERT INTO changes (origin, kind, task_seqs) VALUES (?, ?, ?)"),
    pruneChanges: db.prepare("DELETE FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - ?"),
    changesAfter: db.prepare<
      [number],
      { seq: number; origin: string; kind: ChangeEvent["kind"]; task_seqs: string | null }
    >("SELECT seq, origin, kind, task_seqs FROM changes WHERE seq > ? ORDER BY seq LIMIT 1000"),
    minChange: db.prepare<[], { s: number | null }>("SELECT min(seq) AS s FROM changes"),
    maxChange: db.prepare<[], { s: number }>("SELECT coalesce(max(seq), 0) AS s FROM changes"),
  };
}
