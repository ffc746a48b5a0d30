import type { McpServer } from "@modelcontextprotocol/server";
import type { McpContext } from "../context.js";
import { taskDetail } from "../views.js";
import { json } from "./json.js";

export function registerCurrentResource(server: McpServer, { store }: McpContext): void {
  server.registerResource(
    "current",
    "task://current",
    {
      title: "Current task",
      description: "The task in progress; else the next pending one; else null.",
      mimeType: "application/json",
    },
    async (uri) => {
      const running = await store.list({ status: "in_progress", limit: 1 });
      const task = running.tasks[0] ?? (await store.peekNext());
      return json(uri, task ? taskDetail(task) : null);
    },
  );
}
