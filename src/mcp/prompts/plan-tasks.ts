import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { McpContext } from "../context.js";

const args = z.object({
  goal: z.string().min(1).max(20_000).describe("What should be achieved"),
  context: z.string().max(20_000).optional().describe("Constraints, files, conventions to respect"),
});

export function registerPlanTasksPrompt(server: McpServer, _ctx: McpContext): void {
  server.registerPrompt(
    "plan_tasks",
    {
      title: "Plan a goal as tasks",
      description: "Break a goal into small, checkable tasks and add them with add_tasks_batch.",
      argsSchema: args,
    },
    ({ goal, context }) => ({
      messages: [
        {
          role: "user",
          content: {
            type: "text",
            text: [
              "Plan this goal as a list of tasks for the ralph-workflow queue.",
              "",
              `Goal: ${goal}`,
              ...(context ? ["", `Context: ${context}`] : []),
              "",
              "Rules:",
              "- Each task is one step an agent can finish and check on its own, described so it can be done without this conversation.",
              "- Give each task criteria: how to tell that it is done right.",
              "- Priority 1 (most urgent) … 10; default 5.",
              "- When a task needs another one finished first, list it in depends_on as #N (the N-th task of this batch, from 1).",
              "",
              'Then call add_tasks_batch once with {"tasks": [{"description", "criteria", "priority", "depends_on"}, …]} and show the task ids it returns.',
            ].join("\n"),
          },
        },
      ],
    }),
  );
}
