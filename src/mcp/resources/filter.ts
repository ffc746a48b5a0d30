import {
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  ResourceTemplate,
} from "@modelcontextprotocol/server";
import { isTaskStatus, TASK_STATUSES } from "../../domain/task.js";
import type { McpContext } from "../context.js";
import { taskSummary } from "../views.js";
import { boundedList, json } from "./json.js";

export function registerFilterResource(server: McpServer, { store }: McpContext): void {
  server.registerResource(
    "tasks-by-status",
    new ResourceTemplate("task://filter/{status}", {
      list: undefined,
      complete: { status: (value) => TASK_STATUSES.filter((s) => s.startsWith(value)) },
    }),
    {
      title: "Tasks by status",
      description: "Tasks with one status: pending, in_progress, completed or failed (the first 100).",
      mimeType: "application/json",
    },
    async (uri, variables) => {
      const status = String(variables.status ?? "");
      if (!isTaskStatus(status)) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `Unknown status "${status.slice(0, 40)}". Use one of: ${TASK_STATUSES.join(", ")} (e.g. task://filter/pending).`,
        );
      }
      return json(uri, { status, ...(await boundedList(store, status, taskSummary)) });
    },
  );
}
