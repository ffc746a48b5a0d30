import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { McpContext } from "../context.js";
import { ok } from "../results.js";
import { maybeTaskReplyOutput } from "../schemas.js";
import { taskDetail } from "../views.js";
import { defineTool } from "./define.js";
import { noTaskMessage } from "./next-task-message.js";

const input = z.object({
  lease_seconds: z
    .int({ error: "lease_seconds must be a whole number from 10 to 86400" })
    .min(10, { error: "lease_seconds must be from 10 to 86400" })
    .max(86_400, { error: "lease_seconds must be from 10 to 86400" })
    .optional()
    .describe("Hold it this long before it returns to the queue; default 900"),
});

export function registerClaimNextTask(server: McpServer, { store, leaseMs, workerId }: McpContext): void {
  defineTool(
    server,
    "claim_next_task",
    {
      title: "Claim next task",
      description:
        "Take and start the next eligible task, atomically (safe with many agents). Then complete_task, retry_task or fail_task.",
      inputSchema: input,
      outputSchema: maybeTaskReplyOutput,
      hints: { readOnly: false, destructive: false, idempotent: false },
    },
    async ({ lease_seconds }, ctx) => {
      const task = await store.claimNext({
        workerId: workerId(ctx),
        leaseMs: lease_seconds === undefined ? leaseMs : lease_seconds * 1000,
      });
      if (!task) return ok({ message: await noTaskMessage(store), task: null });
      const view = taskDetail(task);
      const message = `Started task: ${task.id} (attempt ${task.attempts})`;
      return ok({ message, task: view }, `${message}\n${JSON.stringify(view, null, 2)}`);
    },
  );
}
