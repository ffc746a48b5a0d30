/**
 * Schemas the MCP tools share. Input fields reuse the domain's (src/domain/validate.ts), so the
 * limits and messages are the same everywhere; output schemas stay small on purpose, because
 * every byte of them is in each client's tools/list (and often in a model's context).
 */
import { z } from "zod";
import { TASK_STATUSES } from "../domain/task.js";

/** Unbounded here: the store answers any string that is not an id with the ids that exist. */
export const taskIdSchema = z
  .string({ error: "task_id must be a string like task-001" })
  .describe("e.g. task-001");

export const statusSchema = z.enum(TASK_STATUSES, {
  error: `status must be one of: ${TASK_STATUSES.join(", ")}`,
});

/**
 * A task as the tools return it (id, status and the other fields as in get_task). Listed as a
 * bare object: spelling out its fields in every tool's outputSchema would double tools/list.
 */
export const taskOutput = z.record(z.string(), z.unknown());

export const taskReplyOutput = z.object({ message: z.string(), task: taskOutput });
export const maybeTaskReplyOutput = z.object({ message: z.string(), task: taskOutput.nullable() });
