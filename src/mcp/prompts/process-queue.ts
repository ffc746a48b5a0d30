import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { McpContext } from "../context.js";

const args = z.object({
  max_tasks: z
    .string()
    .regex(/^\d{1,4}$/)
    .optional()
    .describe("Stop after this many tasks (default 5)"),
});

export function registerProcessQueuePrompt(server: McpServer, _ctx: McpContext): void {
  server.registerPrompt(
    "process_queue",
    {
      title: "Process the task queue",
      description: "Work through pending tasks: claim one, do it, check it, complete or retry it, repeat.",
      argsSchema: args,
    },
    ({ max_tasks }) => {
      const limit = max_tasks === undefined ? 5 : Math.max(1, Number(max_tasks));
      return {
        messages: [
          {
            role: "user",
            content: {
              type: "text",
              text: [
                `Work through the ralph-workflow task queue, at most ${limit} tasks. For each task:`,
                "1. Call claim_next_task. If it says there are no pending tasks, stop and summarise.",
                "2. Read the task's description, criteria and any feedback from earlier attempts; the feedback says what went wrong before.",
                "3. Do the task.",
                "4. Check your result against the criteria (or the description when there are none).",
                "5. If it holds, call complete_task with the task_id and the full result.",
                "   If it does not and you can do better, call retry_task with feedback saying what to change.",
                "   If it cannot be done, call fail_task with the reason.",
                "6. Continue with the next task.",
                "At the end, read task://stats (or call list_tasks) and report what was completed, retried and failed.",
              ].join("\n"),
            },
          },
        ],
      };
    },
  );
}
