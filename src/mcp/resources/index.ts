/** Every resource and resource template. One file each. */
import type { McpServer } from "@modelcontextprotocol/server";
import type { McpContext } from "../context.js";
import { registerCompletedResource } from "./completed.js";
import { registerCurrentResource } from "./current.js";
import { registerFailedResource } from "./failed.js";
import { registerFilterResource } from "./filter.js";
import { registerPendingResource } from "./pending.js";
import { registerQueueResource } from "./queue.js";
import { registerStatsResource } from "./stats.js";
import { registerTaskResource } from "./task.js";

export function registerResources(server: McpServer, ctx: McpContext): void {
  registerQueueResource(server, ctx);
  registerCurrentResource(server, ctx);
  registerStatsResource(server, ctx);
  registerPendingResource(server, ctx);
  registerCompletedResource(server, ctx);
  registerFailedResource(server, ctx);
  registerFilterResource(server, ctx);
  registerTaskResource(server, ctx);
}
