/** Helpers the resources share: JSON contents, and bounded task lists. */
import type { ReadResourceResult } from "@modelcontextprotocol/server";
import type { Task, TaskStatus } from "../../domain/task.js";
import type { TaskStore } from "../../store/types.js";
import { bytes, fitPrefix, RESOURCE_LIST_LIMIT } from "../views.js";

/** No resource response goes over this many bytes of JSON. */
const RESOURCE_BUDGET_BYTES = 36_000;

export function json(uri: URL, value: unknown): ReadResourceResult {
  return {
    contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(value, null, 2) }],
  };
}

interface BoundedList {
  total: number;
  shown: number;
  /** How many matching tasks this response leaves out. */
  omitted: number;
  tasks: Record<string, unknown>[];
  note?: string;
}

/**
 * The first tasks (oldest first, at most 100) with a status, or of every status, each as `view`
 * renders it, cut further when they would not fit the response budget; with the total and how
 * many were left out.
 */
export async function boundedList(
  store: TaskStore,
  status: TaskStatus | undefined,
  view: (task: Task) => Record<string, unknown>,
): Promise<BoundedList> {
  const page = await store.list({ status, limit: RESOURCE_LIST_LIMIT });
  const render = (count: number): BoundedList => {
    const tasks = page.tasks.slice(0, count).map(view);
    const omitted = page.total - tasks.length;
    const list: BoundedList = { total: page.total, shown: tasks.length, omitted, tasks };
    if (omitted > 0) {
      list.note = `Showing the first ${tasks.length} of ${page.total}. Page through all with the list_tasks tool${status ? ` (status: "${status}")` : ""}.`;
    }
    return list;
  };
  const count = fitPrefix(page.tasks, RESOURCE_BUDGET_BYTES, (n) => JSON.stringify(render(n), null, 2));
  return render(count);
}

export { bytes };
