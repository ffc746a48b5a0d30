/**
 * What a stored row has in common with the Task and Run it stands for: the columns both stores keep
 * under the model's own names and types. Each store's rows.ts adds what it keeps differently (the
 * sequence number, JSON columns) and decodes those; the rest is copied here, once.
 */
import type { Run } from "../domain/run.js";
import type { Task } from "../domain/task.js";

/** Task fields stored as they are. */
export type TaskColumns = Omit<Task, "id" | "feedback" | "depends_on" | "tags">;
/** Task fields each store decodes itself. */
export type TaskDecoded = Pick<Task, "id" | "feedback" | "depends_on" | "tags">;

/** The Task of a row: its plain columns (and no other column the row may carry) plus the decoded ones. */
export function toTask(row: TaskColumns, decoded: TaskDecoded): Task {
  return {
    id: decoded.id,
    description: row.description,
    criteria: row.criteria,
    priority: row.priority,
    max_attempts: row.max_attempts,
    attempts: row.attempts,
    status: row.status,
    result: row.result,
    failure_reason: row.failure_reason,
    feedback: decoded.feedback,
    depends_on: decoded.depends_on,
    tags: decoded.tags,
    idempotency_key: row.idempotency_key,
    created_at: row.created_at,
    started_at: row.started_at,
    completed_at: row.completed_at,
    updated_at: row.updated_at,
    lease_expires_at: row.lease_expires_at,
    claimed_by: row.claimed_by,
    // Absent from rows written before the column existed.
    not_before: row.not_before ?? null,
  };
}

/** Run fields stored as they are. */
export type RunColumns = Omit<Run, "id" | "settings" | "stats" | "current" | "cancel_requested">;
/** Run fields each store decodes itself. */
export type RunDecoded = Pick<Run, "id" | "settings" | "stats" | "current" | "cancel_requested">;

export function toRun(row: RunColumns, decoded: RunDecoded): Run {
  return {
    id: decoded.id,
    status: row.status,
    stop_code: row.stop_code,
    stop_reason: row.stop_reason,
    max_tasks: row.max_tasks,
    settings: decoded.settings,
    worker_id: row.worker_id,
    stats: decoded.stats,
    current: decoded.current,
    cancel_requested: decoded.cancel_requested,
    started_at: row.started_at,
    updated_at: row.updated_at,
    finished_at: row.finished_at,
  };
}
