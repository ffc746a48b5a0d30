import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import {
  criteriaSchema,
  dependsOnSchema,
  descriptionSchema,
  idempotencyKeySchema,
  maxAttemptsSchema,
  prioritySchema,
  runAtSchema,
  tagsSchema,
} from "../../domain/validate.js";
import type { McpContext } from "../context.js";
import { ok } from "../results.js";
import { taskOutput } from "../schemas.js";
import { taskSummary } from "../views.js";
import { defineTool } from "./define.js";

/** The domain's schemas, with descriptions worded for a model (the JSON Schema states the bounds). */
export const addTaskInput = z.object({
  description: descriptionSchema.describe("What the task should accomplish"),
  priority: prioritySchema.optional().describe("1 (highest) … 10 (lowest); default 5"),
  max_attempts: maxAttemptsSchema.optional().describe("Starts allowed before it fails for good; default 3"),
  criteria: criteriaSchema.optional().describe("How to tell the task is done right"),
  depends_on: dependsOnSchema.optional().describe("Task ids that must be completed first"),
  tags: tagsSchema.optional().describe("Labels"),
  idempotency_key: idempotencyKeySchema
    .optional()
    .describe("Adding again with this key returns the first task"),
  run_at: runAtSchema.optional().describe("Not started before this ISO time"),
});

export function registerAddTask(server: McpServer, { store }: McpContext): void {
  defineTool(
    server,
    "add_task",
    {
      title: "Add task",
      description: "Add a task to the queue. Returns its id.",
      inputSchema: addTaskInput,
      outputSchema: z.object({ message: z.string(), created: z.boolean(), task: taskOutput }),
      hints: { readOnly: false, destructive: false, idempotent: false },
    },
    async (args) => {
      const { task, created } = await store.create(args);
      const message = created
        ? `Created task: ${task.id}`
        : `Task ${task.id} already exists with that idempotency_key; nothing was added.`;
      return ok({ message, created, task: taskSummary(task) });
    },
  );
}
