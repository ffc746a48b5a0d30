/** Every prompt. One file each. */
import type { McpServer } from "@modelcontextprotocol/server";
import type { McpContext } from "../context.js";
import { registerPlanTasksPrompt } from "./plan-tasks.js";
import { registerProcessQueuePrompt } from "./process-queue.js";

export function registerPrompts(server: McpServer, ctx: McpContext): void {
  registerProcessQueuePrompt(server, ctx);
  registerPlanTasksPrompt(server, ctx);
}
