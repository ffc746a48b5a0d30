/**
 * The ceiling for bench/mcp-stdio.ts: the same SDK, the same stdio entry, an `add_task` tool with
 * the same input and output schemas and a result of the same shape, and no store behind it.
 * What ralph-mcp's add_task costs beyond this is the queue's own work.
 */
import { McpServer } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { z } from "zod";
import { listed } from "../src/mcp/listed-schema.js";
import { taskOutput } from "../src/mcp/schemas.js";
import { addTaskInput } from "../src/mcp/tools/add-task.js";

let seq = 0;

serveStdio(() => {
  const server = new McpServer({ name: "noop", version: "0.0.0" });
  server.registerTool(
    "add_task",
    {
      description: "Pretend to add a task.",
      inputSchema: listed(addTaskInput),
      outputSchema: listed(z.object({ message: z.string(), created: z.boolean(), task: taskOutput })),
    },
    async ({ description }) => {
      const id = `task-${String(++seq).padStart(3, "0")}`;
      const message = `Created task: ${id}`;
      const task = { id, status: "pending", priority: 5, attempts: 0, max_attempts: 3, description };
      return {
        content: [{ type: "text", text: message }],
        structuredContent: { message, created: true, task },
      };
    },
  );
  return server;
});
process.stdin.once("end", () => process.exit(0));
