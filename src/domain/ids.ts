import { notATaskId } from "./errors.js";

const TASK_ID = /^task-(\d{1,15})$/;

/** `task-001`, `task-042`, `task-1234`: at least three digits, from the store's sequence. */
export function formatTaskId(seq: number): string {
  return `task-${String(seq).padStart(3, "0")}`;
}

/** The sequence number inside a task id, or a ValidationError that shows the expected form. */
export function parseTaskId(id: string): number {
  const match = TASK_ID.exec(id.trim());
  const seq = match ? Number(match[1]) : Number.NaN;
  if (!Number.isSafeInteger(seq) || seq < 1) {
    throw notATaskId(id);
  }
  return seq;
}

/** Like parseTaskId, but null for a string that cannot be a task id (for lookups that report "not found"). */
export function tryParseTaskId(id: string): number | null {
  const match = TASK_ID.exec(id.trim());
  const seq = match ? Number(match[1]) : Number.NaN;
  return Number.isSafeInteger(seq) && seq >= 1 ? seq : null;
}
