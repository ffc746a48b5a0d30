import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { reasonSchema } from "../../domain/validate.js";
import type { McpContext } from "../context.js";
import { ok } from "../results.js";
import { taskIdSchema, taskReplyOutput } from "../schemas.js";
import { cut, SUMMARY_CHARS, taskSummary } from "../views.js";
import { defineTool } from "./define.js";

const input = z.object({ task_id: taskIdSchema, reason: reasonSchema });

export function registerFailTask(server: McpServer, { store, workerId }: McpContext): void {
  defineTool(
    server,
    "fail_task",
    {
      title: "Fail task",
      description: "Mark a task failed, with the reason. retry_task can queue it again.",
      inputSchema: input,
      outputSchema: taskReplyOutput,
      hints: { readOnly: false, destructive: false, idempotent: false },
    },
    async ({ task_id, reason }, ctx) => {
      const task = await store.fail(task_id, reason, { workerId: workerId(ctx) });
      return ok({
        message: `Failed task: ${task.id} - ${cut(reason, SUMMARY_CHARS)}`,
        task: taskSummary(task),
      });
    },
  );
}
