import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { McpContext } from "../context.js";
import { ok } from "../results.js";
import { taskIdSchema, taskReplyOutput } from "../schemas.js";
import { taskSummary } from "../views.js";
import { defineTool } from "./define.js";

const input = z.object({
  task_id: taskIdSchema,
  force: z.boolean({ error: "force must be true or false" }).optional().describe("Also if in progress"),
});

export function registerDeleteTask(server: McpServer, { store }: McpContext): void {
  defineTool(
    server,
    "delete_task",
    {
      title: "Delete task",
      description: "Delete a task; its dependents stop waiting. In progress needs force.",
      inputSchema: input,
      outputSchema: taskReplyOutput,
      hints: { readOnly: false, destructive: true, idempotent: false },
    },
    async ({ task_id, force }) => {
      const task = await store.delete(task_id, { force: force === true });
      return ok({ message: `Deleted task: ${task.id}`, task: taskSummary(task) });
    },
  );
}
