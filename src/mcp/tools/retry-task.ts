import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { feedbackSchema } from "../../domain/validate.js";
import type { McpContext } from "../context.js";
import { ok } from "../results.js";
import { taskIdSchema, taskOutput } from "../schemas.js";
import { taskSummary } from "../views.js";
import { defineTool } from "./define.js";

const input = z.object({ task_id: taskIdSchema, feedback: feedbackSchema.optional() });
const output = z.object({ message: z.string(), queued: z.boolean(), task: taskOutput });

export function registerRetryTask(server: McpServer, { store, workerId }: McpContext): void {
  defineTool(
    server,
    "retry_task",
    {
      title: "Retry task",
      description:
        "Queue a task again with feedback for the next attempt; if its attempts are spent it fails instead.",
      inputSchema: input,
      outputSchema: output,
      hints: { readOnly: false, destructive: false, idempotent: false },
    },
    async ({ task_id, feedback }, ctx) => {
      const task = await store.retry(task_id, feedback ?? "", { source: "user", workerId: workerId(ctx) });
      const queued = task.status === "pending";
      const message = queued
        ? `Task ${task.id} queued for retry`
        : `Task ${task.id} exceeded max attempts (${task.max_attempts}); it is failed now. Add a new task to try again.`;
      return ok({ message, queued, task: taskSummary(task) });
    },
  );
}
