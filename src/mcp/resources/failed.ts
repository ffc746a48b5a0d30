import type { McpServer } from "@modelcontextprotocol/server";
import type { McpContext } from "../context.js";
import { cut, SUMMARY_CHARS } from "../views.js";
import { boundedList, json } from "./json.js";

export function registerFailedResource(server: McpServer, { store }: McpContext): void {
  server.registerResource(
    "failed",
    "task://failed",
    {
      title: "Failed tasks",
      description: "Failed tasks with the reason (the first 100).",
      mimeType: "application/json",
    },
    async (uri) =>
      json(
        uri,
        await boundedList(store, "failed", (t) => ({
          id: t.id,
          description: cut(t.description, SUMMARY_CHARS),
          failure_reason: cut(t.failure_reason, SUMMARY_CHARS),
          attempts: t.attempts,
          max_attempts: t.max_attempts,
        })),
      ),
  );
}
