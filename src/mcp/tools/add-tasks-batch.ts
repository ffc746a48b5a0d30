import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { NewTask } from "../../domain/task.js";
import { LIMITS } from "../../domain/task.js";
import { descriptionSchema } from "../../domain/validate.js";
import type { McpContext } from "../context.js";
import { idList, ok, toolError } from "../results.js";
import { addTaskInput } from "./add-task.js";
import { defineTool } from "./define.js";

const batchSize = { error: `a batch holds 1 to ${LIMITS.batch} tasks; split bigger ones` };

const input = z.object({
  descriptions: z
    .array(descriptionSchema, { error: "descriptions must be a list of strings" })
    .min(1, batchSize)
    .max(LIMITS.batch, batchSize)
    .optional()
    .describe("One task each, default settings"),
  tasks: z
    .array(addTaskInput, { error: "tasks must be a list of task objects" })
    .min(1, batchSize)
    .max(LIMITS.batch, batchSize)
    .optional()
    .describe("Tasks as add_task takes them"),
});
const output = z.object({
  message: z.string(),
  task_ids: z.array(z.string()),
  created: z.number(),
  existing: z.number(),
});

export function registerAddTasksBatch(server: McpServer, { store }: McpContext): void {
  defineTool(
    server,
    "add_tasks_batch",
    {
      title: "Add tasks",
      description:
        "Add many tasks, all or none: descriptions, or tasks as add_task takes them, where depends_on may name items of the batch as #1, #2, …",
      inputSchema: input,
      outputSchema: output,
      hints: { readOnly: false, destructive: false, idempotent: false },
      terse: ["descriptions", "tasks"],
    },
    async ({ descriptions, tasks }) => {
      if ((descriptions === undefined) === (tasks === undefined)) {
        return toolError(
          "Give either descriptions (a list of strings) or tasks (a list of task objects), not both.",
        );
      }
      const inputs: NewTask[] = tasks ?? (descriptions ?? []).map((description) => ({ description }));
      const results = await store.createBatch(inputs);
      const ids = results.map((r) => r.task.id);
      const created = results.filter((r) => r.created).length;
      const existing = results.length - created;
      let message = `Created ${created} tasks: ${idList(results.filter((r) => r.created).map((r) => r.task.id))}`;
      if (created === 0) message = "Created 0 tasks";
      if (existing > 0) message += ` (${existing} already existed with the same idempotency_key)`;
      return ok({ message, task_ids: ids, created, existing });
    },
  );
}
