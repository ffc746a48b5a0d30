/**
 * createServer(): the one factory every transport uses. It builds a fresh McpServer for one
 * connection (stdio, a 2025-era HTTP session) or one request (2026-07-28 HTTP), registers every
 * tool, resource and prompt on it, and, when given the process's ChangeHub, wires resource
 * notifications for the era it serves.
 *
 *   serveStdio(({ era }) => createServer({ store, hub, era }))     // stdio: one per connection
 *   createMcpHandler(({ era }) => createServer({ store, era }))    // HTTP, one per request, no hub;
 *   forwardToNotifier(hub, store, handler.notify)                  //   changes go out on the bus
 */
import { McpServer, type ServerContext } from "@modelcontextprotocol/server";
import { log } from "../log.js";
import type { RunRegistry } from "../orchestrator/registry.js";
import { DEFAULT_LEASE_MS, type TaskStore } from "../store/types.js";
import type { ChangeHub } from "./changes.js";
import { type McpContext, workerIdFor } from "./context.js";
import { SERVER_NAME, SERVER_VERSION } from "./identity.js";
import { registerPrompts } from "./prompts/index.js";
import { registerResources } from "./resources/index.js";
import { registerRunResource } from "./resources/run.js";
import { RunUpdates } from "./run-updates.js";
import { wireNotifications } from "./subscriptions.js";
import { registerTools, type ToolRegistrar } from "./tools/index.js";
import { runOrchestratorTool } from "./tools/run-orchestrator.js";

export { SERVER_NAME, SERVER_VERSION };

const INSTRUCTIONS =
  "A durable, prioritized task queue shared by every agent on this machine. " +
  "To work: claim_next_task, do the task, then complete_task, retry_task (with feedback) or fail_task. " +
  "To plan: add_task or add_tasks_batch. To look: list_tasks, get_task, or the task:// resources.";
const RUN_INSTRUCTIONS = " To have the configured agent work through the queue: run_orchestrator.";

export interface CreateServerOptions {
  store: TaskStore;
  /**
   * The protocol era this instance serves (serveStdio and createMcpHandler pass it to the
   * factory). "legacy" installs the resources/subscribe handlers 2025-era clients need.
   */
  era?: "legacy" | "modern";
  /**
   * The process's change feed. Give it to instances that live as long as a connection (stdio,
   * a 2025-era HTTP session) so their subscribers are notified; leave it out for per-request
   * instances, which cannot notify anyone.
   */
  hub?: ChangeHub | undefined;
  /**
   * On the 2026-07-28 era: the resource URIs the connection's open `subscriptions/listen`
   * streams asked for (stdio: ListenTap.watched). Without it a modern instance announces every
   * URI a change may touch and leaves the filtering to the SDK's listen router.
   */
  watched?: (() => ReadonlySet<string>) | undefined;
  /** Calls its listener whenever `watched()` may have changed (stdio: ListenTap.onWatchedChange). */
  watchedChanges?: ((listener: () => void) => () => void) | undefined;
  /** How long claims made through MCP last (default 15 minutes). */
  leaseMs?: number;
  /**
   * The process's orchestrator runs. With it the server offers run_orchestrator and the
   * `task://runs/{id}` resource (subscribable where a hub is given).
   */
  runs?: RunRegistry | undefined;
  /** More tools, registered after the queue tools (and run_orchestrator). */
  extraTools?: readonly ToolRegistrar[];
  /** Called on the new server before anything is registered (HTTP with OAuth: scope challenges). */
  prepare?: ((server: McpServer) => void) | undefined;
}

export function createServer(options: CreateServerOptions): McpServer {
  const era = options.era ?? "legacy";
  const server = new McpServer(
    { name: SERVER_NAME, title: "Ralph workflow task queue", version: SERVER_VERSION },
    {
      capabilities: {
        tools: { listChanged: false },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: false },
        completions: {},
        // logging/setLevel is accepted (the 2025-era conformance suite checks it); nothing is
        // logged to clients yet.
        logging: {},
      },
      instructions: options.runs ? INSTRUCTIONS + RUN_INSTRUCTIONS : INSTRUCTIONS,
      // Bound the work a single call can ask for: 500 batch items with every field filled.
      maxToolInputElements: 100_000,
    },
  );
  options.prepare?.(server);
  const ctx: McpContext = {
    store: options.store,
    leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    workerId: (requestCtx: ServerContext) => workerIdFor(server, requestCtx),
  };
  const { runs } = options;
  registerTools(server, ctx, [
    ...(runs ? [runOrchestratorTool({ runs, era })] : []),
    ...(options.extraTools ?? []),
  ]);
  registerResources(server, ctx);
  if (runs) registerRunResource(server, options.store, runs);
  registerPrompts(server, ctx);
  if (options.hub) {
    const source = runs
      ? new RunUpdates(runs, (uri) => {
          if (!server.isConnected()) return;
          server.server
            .sendResourceUpdated({ uri })
            .catch((error) => log.debug({ err: error, uri }, "run update not sent"));
        })
      : undefined;
    const stop = wireNotifications(server, era, options.hub, options.store, options.watched, {
      source,
      watchedChanges: options.watchedChanges,
    });
    const previous = server.server.onclose;
    server.server.onclose = () => {
      stop();
      previous?.();
    };
  }
  return server;
}
