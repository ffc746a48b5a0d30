import type { TaskStore } from "../../store/types.js";

/** What to say when no task is eligible: the brief's "No pending tasks", and why when some wait. */
export async function noTaskMessage(store: TaskStore): Promise<string> {
  const stats = await store.stats();
  if (stats.pending === 0) {
    return stats.in_progress > 0
      ? `No pending tasks (${stats.in_progress} in progress).`
      : "No pending tasks";
  }
  return `No pending tasks ready: ${stats.pending} pending ${stats.pending === 1 ? "task waits" : "tasks wait"} for dependencies to complete.`;
}
