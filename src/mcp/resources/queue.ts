import type { McpServer } from "@modelcontextprotocol/server";
import type { McpContext } from "../context.js";
import { cut, SUMMARY_CHARS } from "../views.js";
import { boundedList, json } from "./json.js";

export function registerQueueResource(server: McpServer, { store }: McpContext): void {
  server.registerResource(
    "queue",
    "task://queue",
    {
      title: "Task queue",
      description: "All tasks with their status (the first 100, with counts by status).",
      mimeType: "application/json",
    },
    async (uri) => {
      const [list, stats] = await Promise.all([
        boundedList(store, undefined, (t) => ({
          id: t.id,
          description: cut(t.description, SUMMARY_CHARS),
          status: t.status,
          attempts: t.attempts,
          priority: t.priority,
        })),
        store.stats(),
      ]);
      const counts = {
        pending: stats.pending,
        in_progress: stats.in_progress,
        completed: stats.completed,
        failed: stats.failed,
      };
      return json(uri, { ...list, counts });
    },
  );
}
