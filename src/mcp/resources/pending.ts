import type { McpServer } from "@modelcontextprotocol/server";
import type { McpContext } from "../context.js";
import { cut, SUMMARY_CHARS } from "../views.js";
import { boundedList, json } from "./json.js";

export function registerPendingResource(server: McpServer, { store }: McpContext): void {
  server.registerResource(
    "pending",
    "task://pending",
    {
      title: "Pending tasks",
      description: "Tasks waiting to be processed (the first 100).",
      mimeType: "application/json",
    },
    async (uri) =>
      json(
        uri,
        await boundedList(store, "pending", (t) => ({
          id: t.id,
          description: cut(t.description, SUMMARY_CHARS),
          priority: t.priority,
          ...(t.depends_on.length > 0 ? { depends_on: t.depends_on.slice(0, 20) } : {}),
        })),
      ),
  );
}
