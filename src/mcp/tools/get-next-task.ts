import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { McpContext } from "../context.js";
import { ok } from "../results.js";
import { maybeTaskReplyOutput } from "../schemas.js";
import { taskDetail } from "../views.js";
import { defineTool } from "./define.js";
import { noTaskMessage } from "./next-task-message.js";

const input = z.object({});

export function registerGetNextTask(server: McpServer, { store }: McpContext): void {
  defineTool(
    server,
    "get_next_task",
    {
      title: "Next task",
      description: "Show the next eligible task without starting it; to take it, use claim_next_task.",
      inputSchema: input,
      outputSchema: maybeTaskReplyOutput,
      hints: { readOnly: true, destructive: false, idempotent: true },
    },
    async () => {
      const task = await store.peekNext();
      if (!task) return ok({ message: await noTaskMessage(store), task: null });
      const view = taskDetail(task);
      const message = `Next task: ${task.id} (priority ${task.priority}, ${task.attempts} of ${task.max_attempts} attempts used)`;
      return ok({ message, task: view }, `${message}\n${JSON.stringify(view, null, 2)}`);
    },
  );
}
