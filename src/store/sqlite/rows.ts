/** A row of the SQLite tasks table, and the Task it stands for. */
import { formatTaskId } from "../../domain/ids.js";
import type { Task } from "../../domain/task.js";
import { type TaskColumns, toTask } from "../rows.js";

/** JSON columns as text; `seq` is the id's number. */
export interface Row extends TaskColumns {
  seq: number;
  feedback: string;
  depends_on: string;
  tags: string;
  unmet_deps: number;
}

export function rowToTask(row: Row): Task {
  return toTask(row, {
    id: formatTaskId(row.seq),
    feedback: JSON.parse(row.feedback),
    depends_on: JSON.parse(row.depends_on),
    tags: JSON.parse(row.tags),
  });
}
