import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { LIMITS } from "../../domain/task.js";
import { resultSchema } from "../../domain/validate.js";
import type { McpContext } from "../context.js";
import { idList, ok } from "../results.js";
import { taskIdSchema } from "../schemas.js";
import { defineTool } from "./define.js";

const batchSize = { error: `task_ids must name 1 to ${LIMITS.batch} tasks` };

const input = z.object({
  task_ids: z
    .array(taskIdSchema, { error: "task_ids must be a list of task ids" })
    .min(1, batchSize)
    .max(LIMITS.batch, batchSize)
    .describe("Tasks to complete"),
  result: resultSchema,
});
const output = z.object({ message: z.string(), task_ids: z.array(z.string()) });

export function registerCompleteTasksBatch(server: McpServer, { store }: McpContext): void {
  defineTool(
    server,
    "complete_tasks_batch",
    {
      title: "Complete tasks",
      description: "Complete several tasks with the same result, all or none.",
      inputSchema: input,
      outputSchema: output,
      hints: { readOnly: false, destructive: false, idempotent: false },
      terse: ["task_ids"],
    },
    async ({ task_ids, result }) => {
      const tasks = await store.completeBatch(task_ids, result);
      const ids = tasks.map((t) => t.id);
      return ok({ message: `Completed ${ids.length} tasks: ${idList(ids)}`, task_ids: ids });
    },
  );
}
