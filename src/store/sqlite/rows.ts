/** A row of the SQLite tasks table, and the Task it stands for. */
import { formatTaskId } from "../../domain/ids.js";
import type { Task, TaskStatus } from "../../domain/task.js";

export interface Row {
  seq: number;
  description: string;
  criteria: string | null;
  priority: number;
  max_attempts: number;
  attempts: number;
  status: TaskStatus;
  result: string | null;
  failure_reason: string | null;
  feedback: string;
  depends_on: string;
  tags: string;
  idempotency_key: string | null;
  unmet_deps: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string;
  lease_expires_at: string | null;
  claimed_by: string | null;
  not_before: string | null;
}

export function rowToTask(row: Row): Task {
  return {
    id: formatTaskId(row.seq),
    description: row.description,
    criteria: row.criteria,
    priority: row.priority,
    max_attempts: row.max_attempts,
    attempts: row.attempts,
    status: row.status,
    result: row.result,
    failure_reason: row.failure_reason,
    feedback: JSON.parse(row.feedback),
    depends_on: JSON.parse(row.depends_on),
    tags: JSON.parse(row.tags),
    idempotency_key: row.idempotency_key,
    created_at: row.created_at,
    started_at: row.started_at,
    completed_at: row.completed_at,
    updated_at: row.updated_at,
    lease_expires_at: row.lease_expires_at,
    claimed_by: row.claimed_by,
    not_before: row.not_before ?? null,
  };
}
