/**
 * The ceiling for bench/mcp-http.ts: the same SDK, the same HTTP plumbing (2026-07-28 requests
 * through createMcpHandler, 2025-era sessions through LegacySessions, Node glue from
 * @modelcontextprotocol/node), `add_task` and `claim_next_task` with the same schemas and
 * results of the same shape, and no store, no doors behind them. What ralph-mcp's HTTP server
 * costs beyond this is the queue's own work (and the doors).
 *
 *   node dist-bench/bench/noop-http-server.js   # prints its URL on stdout
 */
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "@modelcontextprotocol/node";
import {
  createMcpHandler,
  isLegacyRequest,
  legacyStatelessFallback,
  McpServer,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { listed } from "../src/mcp/listed-schema.js";
import { maybeTaskReplyOutput, taskOutput } from "../src/mcp/schemas.js";
import { addTaskInput } from "../src/mcp/tools/add-task.js";
import { LegacySessions } from "../src/transports/legacy-sessions.js";

const addInput = listed(addTaskInput);
const addOutput = listed(z.object({ message: z.string(), created: z.boolean(), task: taskOutput }));
const claimInput = listed(z.object({ lease_seconds: z.int().min(10).max(86_400).optional() }));
const claimOutput = listed(maybeTaskReplyOutput);

let seq = 0;
const pending: string[] = [];

function noopServer(): McpServer {
  const server = new McpServer({ name: "noop", version: "0.0.0" }, { capabilities: { tools: {} } });
  server.registerTool(
    "add_task",
    {
      description: "Pretend to add a task.",
      inputSchema: addInput,
      outputSchema: addOutput,
    },
    async ({ description }) => {
      const id = `task-${String(++seq).padStart(3, "0")}`;
      pending.push(id);
      const message = `Created task: ${id}`;
      const task = { id, status: "pending", priority: 5, attempts: 0, max_attempts: 3, description };
      return {
        content: [{ type: "text", text: message }],
        structuredContent: { message, created: true, task },
      };
    },
  );
  server.registerTool(
    "claim_next_task",
    {
      description: "Pretend to claim the next task.",
      inputSchema: claimInput,
      outputSchema: claimOutput,
    },
    async () => {
      const id = pending.shift();
      if (id === undefined) {
        return {
          content: [{ type: "text", text: "No pending tasks." }],
          structuredContent: { message: "No pending tasks.", task: null },
        };
      }
      const message = `Started task: ${id} (attempt 1)`;
      const task = {
        id,
        status: "in_progress",
        priority: 5,
        attempts: 1,
        max_attempts: 3,
        claimed_by: "noop",
      };
      return { content: [{ type: "text", text: message }], structuredContent: { message, task } };
    },
  );
  return server;
}

const modern = createMcpHandler(() => noopServer(), { legacy: "reject" });
const sessions = new LegacySessions({
  createServer: noopServer,
  stateless: legacyStatelessFallback(() => noopServer()),
  idleMs: 30 * 60_000,
  maxSessions: 500,
  maxRequestBodySize: 4 * 1024 * 1024,
});

// The SDK's documented composition: one Node adapter, the era predicate in front of two legs.
const handler = toNodeHandler({
  fetch: async (request) => {
    if (!(await isLegacyRequest(request))) return modern.fetch(request);
    const parsedBody = request.method === "POST" ? await request.clone().json() : undefined;
    return (await sessions.handle(request, parsedBody)).response;
  },
});
const http = createHttpServer((req, res) => void handler(req, res));
http.listen(0, "127.0.0.1", () => {
  process.stdout.write(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp\n`);
});
process.once("SIGTERM", () => process.exit(0));
