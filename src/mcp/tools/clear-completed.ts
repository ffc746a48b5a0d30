import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { McpContext } from "../context.js";
import { ok } from "../results.js";
import { defineTool } from "./define.js";

const input = z.object({});
const output = z.object({ message: z.string(), cleared: z.number() });

export function registerClearCompleted(server: McpServer, { store }: McpContext): void {
  defineTool(
    server,
    "clear_completed",
    {
      title: "Clear completed",
      description: "Delete every completed task from the queue.",
      inputSchema: input,
      outputSchema: output,
      hints: { readOnly: false, destructive: true, idempotent: true },
    },
    async () => {
      const cleared = await store.clearCompleted();
      return ok({ message: `Cleared ${cleared} completed tasks`, cleared });
    },
  );
}
