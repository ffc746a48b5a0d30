import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { McpContext } from "../context.js";
import { ok } from "../results.js";
import { taskIdSchema, taskReplyOutput } from "../schemas.js";
import { taskSummary } from "../views.js";
import { defineTool } from "./define.js";

const input = z.object({ task_id: taskIdSchema });

export function registerStartTask(server: McpServer, { store, leaseMs, workerId }: McpContext): void {
  defineTool(
    server,
    "start_task",
    {
      title: "Start task",
      description: "Start a pending task (uses an attempt). To take the next task, use claim_next_task.",
      inputSchema: input,
      outputSchema: taskReplyOutput,
      hints: { readOnly: false, destructive: false, idempotent: false },
    },
    async ({ task_id }, ctx) => {
      const task = await store.start(task_id, { workerId: workerId(ctx), leaseMs });
      return ok({ message: `Started task: ${task.id} (attempt ${task.attempts})`, task: taskSummary(task) });
    },
  );
}
