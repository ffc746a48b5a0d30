/**
 * Every tool, registered in the order clients list them. One file per tool.
 * `run_orchestrator` (run-orchestrator.ts) needs the process's run registry, so createServer adds
 * it after these when it is given `runs`.
 */
import type { McpServer } from "@modelcontextprotocol/server";
import type { McpContext } from "../context.js";
import { registerAddTask } from "./add-task.js";
import { registerAddTasksBatch } from "./add-tasks-batch.js";
import { registerClaimNextTask } from "./claim-next-task.js";
import { registerClearCompleted } from "./clear-completed.js";
import { registerCompleteTask } from "./complete-task.js";
import { registerCompleteTasksBatch } from "./complete-tasks-batch.js";
import { registerDeleteTask } from "./delete-task.js";
import { registerFailTask } from "./fail-task.js";
import { registerGetNextTask } from "./get-next-task.js";
import { registerGetTask } from "./get-task.js";
import { registerListTasks } from "./list-tasks.js";
import { registerResetAllTasks } from "./reset-all-tasks.js";
import { registerRetryTask } from "./retry-task.js";
import { registerShowBoard } from "./show-board.js";
import { registerStartTask } from "./start-task.js";
import { registerUpdateTask } from "./update-task.js";

export type ToolRegistrar = (server: McpServer, ctx: McpContext) => void;

export const TOOLS: readonly ToolRegistrar[] = [
  registerAddTask,
  registerStartTask,
  registerCompleteTask,
  registerFailTask,
  registerRetryTask,
  registerGetNextTask,
  registerClaimNextTask,
  registerGetTask,
  registerListTasks,
  registerUpdateTask,
  registerDeleteTask,
  registerClearCompleted,
  registerResetAllTasks,
  registerAddTasksBatch,
  registerCompleteTasksBatch,
  registerShowBoard,
  // run_orchestrator — added by createServer when it is given the run registry.
];

export function registerTools(
  server: McpServer,
  ctx: McpContext,
  extra: readonly ToolRegistrar[] = [],
): void {
  for (const register of [...TOOLS, ...extra]) register(server, ctx);
}
