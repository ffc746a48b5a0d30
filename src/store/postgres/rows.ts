/** A row of the PostgreSQL tasks table, and the Task it stands for. */
import { formatTaskId } from "../../domain/ids.js";
import type { Feedback, Task } from "../../domain/task.js";
import { type TaskColumns, toTask } from "../rows.js";

/** A row of the tasks table as `pg` returns it (bigint as string, timestamptz as ISO string (types.ts), jsonb parsed, NULL for an empty array). */
export interface Row extends TaskColumns {
  seq: string;
  feedback: Feedback[] | null;
  depends_on: string[] | null;
  tags: string[] | null;
  unmet_deps: number;
  has_dependents: boolean;
}

/** A row read by the locking path, with the database clock at that moment. */
export interface LockedRow extends Row {
  now_ms: number;
}

export function rowToTask(row: Row): Task {
  return toTask(row, {
    id: formatTaskId(Number(row.seq)),
    feedback: row.feedback ?? [],
    depends_on: row.depends_on ?? [],
    tags: row.tags ?? [],
  });
}

/** A JSON array for a jsonb column, where NULL stands for an empty array (migrations.ts). */
export const jsonArray = (items: readonly unknown[]): string | null =>
  items.length === 0 ? null : JSON.stringify(items);
