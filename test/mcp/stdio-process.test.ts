/**
 * The stdio process itself, driven by hand (no SDK): stdout carries the protocol and nothing else
 * even with debug logging on, and the process exits by itself when its stdin closes, also while
 * subscriptions, the change feed poll and the lease sweep are active.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { assertBuilt, CLI, serverEnv, tempDb } from "./helpers.js";

interface Running {
  child: ChildProcessWithoutNullStreams;
  stdoutLines: string[];
  stderr: () => string;
  /** Send a JSON-RPC request and wait for the response with its id. */
  request: (method: string, params?: object) => Promise<Record<string, unknown>>;
  notify: (method: string, params?: object) => void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(db: string, env: Record<string, string> = {}): Running {
  assertBuilt();
  const child = spawn(process.execPath, [CLI], { env: serverEnv(db, env), stdio: ["pipe", "pipe", "pipe"] });
  const stdoutLines: string[] = [];
  let stderr = "";
  let buffer = "";
  const waiting = new Map<number, (message: Record<string, unknown>) => void>();
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      stdoutLines.push(line);
      try {
        const message = JSON.parse(line) as Record<string, unknown>;
        if (typeof message.id === "number") waiting.get(message.id)?.(message);
      } catch {
        // kept in stdoutLines; the test fails on it
      }
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let nextId = 1;
  const write = (message: object) => child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
  return {
    child,
    stdoutLines,
    stderr: () => stderr,
    exited,
    notify: (method, params) => write({ method, ...(params ? { params } : {}) }),
    request: (method, params) =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        write({ id, method, ...(params ? { params } : {}) });
      }),
  };
}

async function initialize(server: Running): Promise<void> {
  const init = await server.request("initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "by-hand", version: "1" },
  });
  expect(init.result).toMatchObject({
    protocolVersion: "2025-06-18",
    serverInfo: { name: "ralph-workflow" },
  });
  server.notify("notifications/initialized");
}

describe("the stdio process", () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanups.splice(0)) fn();
  });

  it("writes nothing but JSON-RPC messages to stdout, even with debug logging on", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const server = start(tmp.db, { RALPH_LOG_LEVEL: "debug" });
    cleanups.push(() => server.child.kill());
    await initialize(server);
    await server.request("tools/list");
    await server.request("tools/call", { name: "add_task", arguments: { description: "log me" } });
    await server.request("tools/call", { name: "add_task", arguments: { description: 1 } });
    await server.request("tools/call", { name: "start_task", arguments: { task_id: "task-404" } });
    await server.request("resources/read", { uri: "task://queue" });
    await server.request("resources/read", { uri: "task://filter/nope" });
    await server.request("resources/subscribe", { uri: "task://queue" });
    await server.request("tools/call", {
      name: "complete_task",
      arguments: { task_id: "task-001", result: "ok" },
    });
    await server.request("no/such/method");
    server.child.stdin.end();
    expect((await server.exited).code).toBe(0);

    expect(server.stdoutLines.length).toBeGreaterThanOrEqual(10);
    for (const line of server.stdoutLines) {
      const message = JSON.parse(line) as { jsonrpc?: string };
      expect(message.jsonrpc).toBe("2.0");
    }
    expect(server.stderr()).toContain("stdio server ready"); // logs exist, and went to stderr
  });

  it("exits when stdin closes, while a subscription, the change feed and the lease sweep are active", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const server = start(tmp.db);
    cleanups.push(() => server.child.kill());
    await initialize(server);
    await server.request("resources/subscribe", { uri: "task://queue" });
    await server.request("tools/call", { name: "claim_next_task", arguments: {} });
    await server.request("tools/call", { name: "add_task", arguments: { description: "keep me" } });
    server.child.stdin.end();
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  it("exits when stdin closes before anything was said", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const server = start(tmp.db);
    cleanups.push(() => server.child.kill());
    server.child.stdin.end();
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stdoutLines).toEqual([]);
  });

  it("keeps what it acknowledged: a task added just before stdin closes is in the store", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const first = start(tmp.db);
    cleanups.push(() => first.child.kill());
    await initialize(first);
    await first.request("tools/call", { name: "add_task", arguments: { description: "durable" } });
    first.child.stdin.end();
    await first.exited;

    const second = start(tmp.db);
    cleanups.push(() => second.child.kill());
    await initialize(second);
    const got = await second.request("tools/call", { name: "get_task", arguments: { task_id: "task-001" } });
    expect(JSON.stringify(got)).toContain("durable");
    second.child.stdin.end();
    await second.exited;
  });
});
