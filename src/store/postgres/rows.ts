/** A row of the PostgreSQL tasks table, and the Task it stands for. */
import { formatTaskId } from "../../domain/ids.js";
import type { Feedback, Task, TaskStatus } from "../../domain/task.js";

/** A row of the tasks table as `pg` returns it (bigint as string, timestamptz as ISO string (types.ts), jsonb parsed). */
export interface Row {
  seq: string;
  description: string;
  criteria: string | null;
  priority: number;
  max_attempts: number;
  attempts: number;
  status: TaskStatus;
  result: string | null;
  failure_reason: string | null;
  feedback: Feedback[] | null;
  depends_on: string[] | null;
  tags: string[] | null;
  idempotency_key: string | null;
  unmet_deps: number;
  has_dependents: boolean;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string;
  lease_expires_at: string | null;
  claimed_by: string | null;
  not_before: string | null;
}

/** A row read by the locking path, with the database clock at that moment. */
export interface LockedRow extends Row {
  now_ms: number;
}

export function rowToTask(row: Row): Task {
  return {
    id: formatTaskId(Number(row.seq)),
    description: row.description,
    criteria: row.criteria,
    priority: row.priority,
    max_attempts: row.max_attempts,
    attempts: row.attempts,
    status: row.status,
    result: row.result,
    failure_reason: row.failure_reason,
    feedback: row.feedback ?? [],
    depends_on: row.depends_on ?? [],
    tags: row.tags ?? [],
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

/** A JSON array for a jsonb column, where NULL stands for an empty array (migrations.ts). */
export const jsonArray = (items: readonly unknown[]): string | null =>
  items.length === 0 ? null : JSON.stringify(items);
