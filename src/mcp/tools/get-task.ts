import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Task } from "../../domain/task.js";
import type { McpContext } from "../context.js";
import { ok, toolError } from "../results.js";
import { taskIdSchema, taskOutput } from "../schemas.js";
import { bytes, DETAIL_BUDGET_BYTES, fieldText, LONG_FIELDS, type LongField, taskDetail } from "../views.js";
import { defineTool } from "./define.js";

/** Characters of one field returned per call at most (fewer when they take many bytes). */
const CHUNK_CHARS = 8_000;

const input = z.object({
  task_id: taskIdSchema,
  field: z
    .enum(LONG_FIELDS, { error: `field must be one of: ${LONG_FIELDS.join(", ")}` })
    .optional()
    .describe("Read just this field"),
  offset: z
    .int({ error: "offset must be a whole number, 0 or more" })
    .min(0, { error: "offset must be 0 or more" })
    .optional()
    .describe("Where to start in field: 0, then next_offset"),
});
const output = z.object({
  message: z.string(),
  task: taskOutput.optional(),
  /** With field: {field, offset, text, total_chars, next_offset}. */
  chunk: z.record(z.string(), z.unknown()).optional(),
});

export function registerGetTask(server: McpServer, { store }: McpContext): void {
  defineTool(
    server,
    "get_task",
    {
      title: "Get task",
      description: "One task in full. Very long fields are cut: pass field and offset to read one in pieces.",
      inputSchema: input,
      outputSchema: output,
      hints: { readOnly: true, destructive: false, idempotent: true },
    },
    async ({ task_id, field, offset }) => {
      const task = await store.get(task_id);
      if (field !== undefined) return readField(task, field, offset ?? 0);
      if (offset !== undefined)
        return toolError('offset needs field: name the field to read (e.g. field: "result").');
      const view = taskDetail(task);
      const message = `Task ${task.id}: ${task.status}, priority ${task.priority}, ${task.attempts} of ${task.max_attempts} attempts used`;
      return ok({ message, task: view }, `${message}\n${JSON.stringify(view, null, 2)}`);
    },
  );
}

function readField(task: Task, field: LongField, offset: number) {
  const text = fieldText(task, field);
  if (offset > text.length) {
    return toolError(
      `offset ${offset} is past the end of ${task.id}'s ${field} (${text.length} characters).`,
    );
  }
  let end = Math.min(text.length, offset + CHUNK_CHARS);
  while (end - offset > 100 && bytes(JSON.stringify(text.slice(offset, end))) > DETAIL_BUDGET_BYTES) {
    end = offset + Math.floor((end - offset) / 2);
  }
  const code = text.charCodeAt(end - 1);
  if (end < text.length && code >= 0xd800 && code <= 0xdbff) end--; // keep surrogate pairs whole
  const nextOffset = end < text.length ? end : null;
  const chunk = {
    field,
    offset,
    text: text.slice(offset, end),
    total_chars: text.length,
    next_offset: nextOffset,
  };
  const more = nextOffset === null ? "the end" : `more from offset ${nextOffset}`;
  const message = `${task.id} ${field}: characters ${offset}–${end} of ${text.length} (${more})`;
  return ok({ message, chunk }, `${message}\n\n${chunk.text}`);
}
