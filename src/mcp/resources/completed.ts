import type { McpServer } from "@modelcontextprotocol/server";
import type { McpContext } from "../context.js";
import { cut, SUMMARY_CHARS } from "../views.js";
import { boundedList, json } from "./json.js";

export function registerCompletedResource(server: McpServer, { store }: McpContext): void {
  server.registerResource(
    "completed",
    "task://completed",
    {
      title: "Completed tasks",
      description: "Completed tasks with their results cut to 200 characters (the first 100).",
      mimeType: "application/json",
    },
    async (uri) =>
      json(
        uri,
        await boundedList(store, "completed", (t) => ({
          id: t.id,
          description: cut(t.description, SUMMARY_CHARS),
          result: cut(t.result, SUMMARY_CHARS),
        })),
      ),
  );
}
