import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import {
  criteriaSchema,
  dependsOnSchema,
  descriptionSchema,
  maxAttemptsSchema,
  prioritySchema,
  tagsSchema,
} from "../../domain/validate.js";
import type { McpContext } from "../context.js";
import { ok } from "../results.js";
import { taskIdSchema, taskReplyOutput } from "../schemas.js";
import { taskSummary } from "../views.js";
import { defineTool } from "./define.js";

/** add_task's fields (but the key), each optional; listed tersely, validated in full. */
const changes = z
  .object(
    {
      description: descriptionSchema.optional(),
      criteria: criteriaSchema.nullable().optional(),
      priority: prioritySchema.optional(),
      max_attempts: maxAttemptsSchema.optional(),
      depends_on: dependsOnSchema.optional(),
      tags: tagsSchema.optional(),
    },
    { error: "changes must be an object of add_task's fields" },
  )
  .strict()
  .describe("add_task's fields to change; criteria null removes it");

const input = z.object({ task_id: taskIdSchema, changes });

export function registerUpdateTask(server: McpServer, { store }: McpContext): void {
  defineTool(
    server,
    "update_task",
    {
      title: "Edit task",
      description: "Change a pending task; fields left out stay.",
      inputSchema: input,
      outputSchema: taskReplyOutput,
      hints: { readOnly: false, destructive: false, idempotent: true },
      terse: ["changes"],
    },
    async ({ task_id, changes }) => {
      const task = await store.update(task_id, changes);
      return ok({ message: `Updated task: ${task.id}`, task: taskSummary(task) });
    },
  );
}
