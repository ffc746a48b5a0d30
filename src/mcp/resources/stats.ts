import type { McpServer } from "@modelcontextprotocol/server";
import type { McpContext } from "../context.js";
import { json } from "./json.js";

export function registerStatsResource(server: McpServer, { store }: McpContext): void {
  server.registerResource(
    "stats",
    "task://stats",
    {
      title: "Queue statistics",
      description: "Counts by status, completion and failure rates, average attempts.",
      mimeType: "application/json",
    },
    async (uri) => json(uri, await store.stats()),
  );
}
