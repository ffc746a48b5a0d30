/** What both stores read the same way: a list query's arguments, and argument completion of ids. */
import { ValidationError } from "../domain/errors.js";
import { formatTaskId } from "../domain/ids.js";
import { isTaskStatus, LIMITS, type TaskStatus } from "../domain/task.js";
import { decodeCursor } from "./cursor.js";
import { DEFAULT_LIST_LIMIT, type ListQuery } from "./types.js";

interface ListArguments {
  status: TaskStatus | undefined;
  limit: number;
  /** The sequence number the page starts after (0: the first page); in queue order, the position. */
  after: number;
  /** ListQuery.order "queue". */
  queue: boolean;
  /** What the page's cursor is tied to (the status, and the order). */
  scope: string | undefined;
}

/** A list query checked: a known status, a limit of 1 … 500, a cursor made for the same filter. */
export function listArguments(query: ListQuery): ListArguments {
  const { status, limit = DEFAULT_LIST_LIMIT, cursor } = query;
  if (status !== undefined && !isTaskStatus(status)) {
    throw new ValidationError(
      `Unknown status "${status}". Use one of: pending, in_progress, completed, failed.`,
    );
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.listLimit) {
    throw new ValidationError(`limit must be a whole number from 1 to ${LIMITS.listLimit}.`);
  }
  // Queue order pages by position (its sort key is not one column); id order by the last id. The
  // cursor's scope keeps a cursor of one order from paging through the other.
  const queue = query.order === "queue";
  const scope = queue ? `${status ?? ""}#queue` : status;
  return { status, limit, after: cursor === undefined ? 0 : decodeCursor(cursor, scope), queue, scope };
}

/** How many of the newest ids argument completion looks through. */
export const COMPLETION_SCAN = 5_000;

/** The ids among `seqs` (newest first) that start with `prefix`, at most `limit`. */
export function matchingIds(seqs: Iterable<number>, prefix: string, limit: number): string[] {
  const out: string[] = [];
  for (const seq of seqs) {
    const id = formatTaskId(seq);
    if (id.startsWith(prefix)) out.push(id);
    if (out.length >= limit) break;
  }
  return out;
}
