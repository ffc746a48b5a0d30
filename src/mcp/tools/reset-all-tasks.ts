import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { McpContext } from "../context.js";
import { ok, toolError } from "../results.js";
import { defineTool } from "./define.js";

const input = z.object({
  confirm: z.boolean({ error: "confirm must be true or false" }).optional().describe("Must be true"),
});
const output = z.object({ message: z.string(), reset: z.number() });

export function registerResetAllTasks(server: McpServer, { store }: McpContext): void {
  defineTool(
    server,
    "reset_all_tasks",
    {
      title: "Reset all",
      description: "Reset EVERY task to pending, erasing results and feedback. Needs confirm: true.",
      inputSchema: input,
      outputSchema: output,
      hints: { readOnly: false, destructive: true, idempotent: true },
    },
    async ({ confirm }) => {
      if (confirm !== true) {
        return toolError(
          "Nothing was reset. reset_all_tasks erases every result, failure and feedback; " +
            "if the user really wants that, call it again with confirm: true.",
        );
      }
      const reset = await store.resetAll();
      return ok({
        message: `All tasks reset to pending (${reset} ${reset === 1 ? "task" : "tasks"})`,
        reset,
      });
    },
  );
}
