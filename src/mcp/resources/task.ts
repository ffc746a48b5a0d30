import { type McpServer, ResourceNotFoundError, ResourceTemplate } from "@modelcontextprotocol/server";
import { isRalphError } from "../../domain/errors.js";
import { listedTasks, taskUri } from "../changes.js";
import type { McpContext } from "../context.js";
import { cut, taskDetail } from "../views.js";
import { toolMessage } from "../wording.js";
import { json } from "./json.js";

/** Completion candidates: ids starting with what was typed; "7" or "07" also finds task-007. */
async function completeTaskId(store: McpContext["store"], value: string): Promise<string[]> {
  const typed = value.trim();
  if (/^\d+$/.test(typed)) {
    const padded = await store.completeIds(`task-${typed.padStart(3, "0")}`, 20);
    return padded.length > 0 ? padded : store.completeIds(`task-${typed}`, 20);
  }
  return store.completeIds(typed, 20);
}

export function registerTaskResource(server: McpServer, { store }: McpContext): void {
  server.registerResource(
    "task",
    new ResourceTemplate("task://tasks/{id}", {
      // Bounded: the tasks in progress and the first pending ones, not the whole queue.
      list: async () => ({
        resources: (await listedTasks(store)).map((t) => ({
          uri: taskUri(t.id),
          name: `${t.id}: ${cut(t.description.replace(/\s+/g, " "), 60)}`,
          description: `${t.status}, priority ${t.priority}`,
          mimeType: "application/json",
        })),
      }),
      complete: { id: (value) => completeTaskId(store, value) },
    }),
    {
      title: "One task",
      description: "One task in full (very long fields cut; get_task reads them whole).",
      mimeType: "application/json",
    },
    async (uri, variables) => {
      const id = String(variables.id ?? "");
      try {
        return json(uri, taskDetail(await store.get(id)));
      } catch (error) {
        if (isRalphError(error) && error.code === "not_found")
          throw new ResourceNotFoundError(uri.href, toolMessage(error));
        throw error;
      }
    },
  );
}
