import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { parseTaskId } from "../../domain/ids.js";
import type { Task } from "../../domain/task.js";
import { LIMITS } from "../../domain/task.js";
import { encodeCursor } from "../../store/cursor.js";
import type { McpContext } from "../context.js";
import { ok } from "../results.js";
import { statusSchema, taskOutput } from "../schemas.js";
import { cut, fitPrefix, taskSummary } from "../views.js";
import { defineTool } from "./define.js";

/** The whole result (text and structuredContent) stays under this many bytes. */
const RESPONSE_BUDGET_BYTES = 36_000;

const input = z.object({
  status: statusSchema.optional().describe("Only tasks with this status"),
  limit: z
    .int({ error: `limit must be a whole number from 1 to ${LIMITS.listLimit}` })
    .min(1, { error: `limit must be from 1 to ${LIMITS.listLimit}` })
    .max(LIMITS.listLimit, { error: `limit must be from 1 to ${LIMITS.listLimit}` })
    .optional()
    .describe(`Page size, 1–${LIMITS.listLimit}; default 50`),
  cursor: z
    .string({ error: "cursor must be the nextCursor string of the previous page" })
    .max(200, { error: "cursor is not valid: pass the nextCursor of the previous page exactly" })
    .optional()
    .describe("nextCursor of the previous page"),
});
const output = z.object({
  message: z.string(),
  tasks: z.array(taskOutput),
  total: z.number(),
  nextCursor: z.string().nullable(),
});

export function registerListTasks(server: McpServer, { store }: McpContext): void {
  defineTool(
    server,
    "list_tasks",
    {
      title: "List tasks",
      description: "List tasks oldest first, a page at a time, optionally by status.",
      inputSchema: input,
      outputSchema: output,
      hints: { readOnly: true, destructive: false, idempotent: true },
    },
    async ({ status, limit, cursor }) => {
      const page = await store.list({ status, limit, cursor });
      const render = (count: number) => {
        const shown = page.tasks.slice(0, count);
        const last = shown.at(-1);
        const cutShort = count < page.tasks.length;
        const nextCursor = cutShort && last ? encodeCursor(parseTaskId(last.id), status) : page.nextCursor;
        const what = status ? `${status} tasks` : "tasks";
        let message = `Showing ${shown.length} of ${page.total} ${what}`;
        if (cutShort) message += ` (the rest of this page did not fit in one response)`;
        if (nextCursor) message += `; pass cursor "${nextCursor}" for more`;
        const structured = { message, tasks: shown.map(taskSummary), total: page.total, nextCursor };
        return ok(structured, [message, ...shown.map(line)].join("\n"));
      };
      return render(fitPrefix(page.tasks, RESPONSE_BUDGET_BYTES, render));
    },
  );
}

function line(task: Task): string {
  const text = cut(task.description.replace(/\s+/g, " "), 100);
  return `${task.id} [${task.status}] p${task.priority} ${task.attempts}/${task.max_attempts} ${text}`;
}
