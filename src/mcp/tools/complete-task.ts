import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { resultSchema } from "../../domain/validate.js";
import type { McpContext } from "../context.js";
import { ok } from "../results.js";
import { taskIdSchema, taskReplyOutput } from "../schemas.js";
import { taskSummary } from "../views.js";
import { defineTool } from "./define.js";

const input = z.object({ task_id: taskIdSchema, result: resultSchema });

export function registerCompleteTask(server: McpServer, { store, workerId }: McpContext): void {
  defineTool(
    server,
    "complete_task",
    {
      title: "Complete task",
      description: "Mark a task completed with its result.",
      inputSchema: input,
      outputSchema: taskReplyOutput,
      hints: { readOnly: false, destructive: false, idempotent: false },
    },
    async ({ task_id, result }, ctx) => {
      const task = await store.complete(task_id, result, { workerId: workerId(ctx) });
      return ok({ message: `Completed task: ${task.id}`, task: taskSummary(task) });
    },
  );
}
