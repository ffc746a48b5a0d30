/**
 * `task://runs/{id}`: one orchestrator run as it is now — status, stats, the task it works on,
 * stop reason — live for a run of this process, from the store for one of another process.
 * resources/list shows the most recent runs; ids complete.
 */
import { type McpServer, ResourceNotFoundError, ResourceTemplate } from "@modelcontextprotocol/server";
import { isRalphError } from "../../domain/errors.js";
import type { RunRegistry } from "../../orchestrator/registry.js";
import type { TaskStore } from "../../store/types.js";
import { runUri } from "../changes.js";
import { json } from "./json.js";

/** How many runs resources/list shows, newest first. */
const LISTED_RUNS = 10;
/** How many recent runs id completion looks through. */
const COMPLETION_RUNS = 100;

/** Completion candidates: ids starting with what was typed; "7" or "07" also finds run-007. */
async function completeRunId(store: TaskStore, value: string): Promise<string[]> {
  const ids = (await store.runs.list({ limit: COMPLETION_RUNS })).map((r) => r.id);
  const typed = value.trim();
  if (/^\d+$/.test(typed)) {
    const padded = `run-${typed.padStart(3, "0")}`;
    const exact = ids.filter((id) => id.startsWith(padded));
    return (exact.length > 0 ? exact : ids.filter((id) => id.startsWith(`run-${typed}`))).slice(0, 20);
  }
  return ids.filter((id) => id.startsWith(typed)).slice(0, 20);
}

export function registerRunResource(server: McpServer, store: TaskStore, runs: RunRegistry): void {
  server.registerResource(
    "run",
    new ResourceTemplate("task://runs/{id}", {
      list: async () => ({
        resources: (await store.runs.list({ limit: LISTED_RUNS })).map((r) => ({
          uri: runUri(r.id),
          name: `${r.id}: ${r.status}`,
          description: r.stop_reason ?? `started ${r.started_at}`,
          mimeType: "application/json",
        })),
      }),
      complete: { id: (value) => completeRunId(store, value) },
    }),
    {
      title: "One orchestrator run",
      description:
        "A run_orchestrator run: status, stats, current task, stop reason. Subscribe to follow it.",
      mimeType: "application/json",
    },
    async (uri, variables) => {
      const id = String(variables.id ?? "");
      try {
        return json(uri, await runs.get(id));
      } catch (error) {
        if (isRalphError(error) && error.code === "not_found")
          throw new ResourceNotFoundError(uri.href, error.message);
        throw error;
      }
    },
  );
}
