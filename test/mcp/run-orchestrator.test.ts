/**
 * run_orchestrator and task://runs/{id} through real clients on real stdio server processes, with
 * real executors configured the way Claude Desktop passes them (env, and a config file): stats and
 * progress with wait, cancellation of the request, background runs followed by resource and
 * subscription and cancelled by tool, runs of another process, shutdown, sampling through a
 * 2025-era client's own model, arguments that try to name a command, and wrong settings.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  type CreateMessageRequest,
  CreateMessageRequestSchema,
  ResourceUpdatedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import type { Run } from "../../src/domain/run.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { isAlive, makeDir, sq, type TestDir, waitFor } from "../orchestrator/helpers.js";
import {
  type AnyClient,
  assertBuilt,
  CLI,
  call,
  connectV1,
  connectV2,
  type Era,
  ok,
  readJson,
  serverEnv,
  type ToolReply,
} from "./helpers.js";

const ORCHESTRATOR_FIXTURES = resolve(import.meta.dirname, "../orchestrator/fixtures");
const AGENT = join(ORCHESTRATOR_FIXTURES, "agent.mjs");
const TREE = join(ORCHESTRATOR_FIXTURES, "tree.sh");
const GATE = resolve(import.meta.dirname, "fixtures/gate.mjs");
const RUN_1 = "task://runs/run-001";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Setup {
  dir: TestDir;
  db: string;
  /** Server environment: fast heartbeats from a config file, plus `extra`. */
  env(extra?: Record<string, string>): Record<string, string>;
}

function setup(): Setup {
  const dir = makeDir("ralph-mcp-runs-");
  cleanups.push(() => dir.cleanup());
  const config = dir.file("ralph.json");
  writeFileSync(config, JSON.stringify({ heartbeatMs: 50 }));
  return {
    dir,
    db: dir.file("tasks.db"),
    env: (extra = {}) => ({ RALPH_CONFIG: config, ANTHROPIC_API_KEY: "", ...extra }),
  };
}

const command = (script: string, dir: TestDir) =>
  `${script.endsWith(".sh") ? "sh" : sq(process.execPath)} ${sq(script)} ${sq(dir.path)}`;

async function v1(s: Setup, env: Record<string, string>, name = "test-v1"): Promise<ClientV1> {
  const client = await connectV1(s.db, name, s.env(env));
  cleanups.push(() => client.close());
  return client;
}

async function v2(s: Setup, env: Record<string, string>, name = "test-v2") {
  const client = await connectV2(s.db, name, s.env(env));
  cleanups.push(() => client.close());
  return client;
}

function connectEra(era: Era, s: Setup, env: Record<string, string>) {
  return era === "legacy" ? v1(s, env) : v2(s, env);
}

interface Progress {
  progress: number;
  message?: string | undefined;
}

/** Call a tool with the era's client options (progress, signal) and flatten the result. */
async function callWith(
  client: ClientV1 | Awaited<ReturnType<typeof connectV2>>,
  name: string,
  args: Record<string, unknown>,
  options: { onprogress?: (p: Progress) => void; signal?: AbortSignal } = {},
): Promise<ToolReply> {
  const result = (
    client instanceof ClientV1
      ? await client.callTool({ name, arguments: args }, undefined, options)
      : await client.callTool({ name, arguments: args }, options)
  ) as {
    isError?: boolean;
    content?: Array<{ type: string; text?: string }>;
    structuredContent?: Record<string, unknown>;
  };
  const text = (result.content ?? []).map((c) => c.text ?? "").join("\n");
  return { isError: result.isError === true, text, structured: result.structuredContent };
}

/** The agent's process tree (tree.sh writes its pids once all are started). */
async function agentTree(dir: TestDir, taskId: string): Promise<number[]> {
  const file = dir.file(`pids-${taskId}-1`);
  const text = await waitFor(() => existsSync(file) && readFileSync(file, "utf8"), {
    what: "the agent's process tree",
  });
  const pids = text.trim().split(" ").map(Number);
  expect(pids).toHaveLength(4);
  expect(pids.every(isAlive)).toBe(true);
  return pids;
}

async function expectGone(pids: number[]): Promise<void> {
  await waitFor(() => pids.every((pid) => !isAlive(pid)), { what: "the process tree to be gone" });
}

async function task(client: AnyClient, id: string): Promise<Record<string, unknown>> {
  return (await ok(client, "get_task", { task_id: id })).task as Record<string, unknown>;
}

const readRun = (client: AnyClient, uri = RUN_1) => readJson(client, uri) as Promise<Run>;

/** resources/updated notifications as they arrive; wait for the next one without sleeping. */
class Updates {
  private waiters: Array<() => void> = [];
  readonly seen: string[] = [];

  push(uri: string): void {
    this.seen.push(uri);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once an update of `uri` has arrived at index `from` of `seen` or later. */
  after(from: number, uri: string, ms = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no update of ${uri} within ${ms} ms`)), ms);
      const check = () => {
        if (this.seen.indexOf(uri, from) === -1) return void this.waiters.push(check);
        clearTimeout(timer);
        resolve();
      };
      check();
    });
  }

  /**
   * Wait for updates of `uri` until reading it after one shows `done`. An update that arrives
   * while the resource is being read is not missed: the next round starts from it.
   */
  async until(uri: string, read: () => Promise<Run>, done: (run: Run) => boolean): Promise<Run> {
    let from = this.seen.length;
    for (;;) {
      await this.after(from, uri);
      from = this.seen.length;
      const run = await read();
      if (done(run)) return run;
    }
  }
}

function updatesOf(client: ClientV1 | Awaited<ReturnType<typeof connectV2>>): Updates {
  const updates = new Updates();
  if (client instanceof ClientV1) {
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updates.push(n.params.uri));
  } else {
    client.setNotificationHandler("notifications/resources/updated", (n) => updates.push(n.params.uri));
  }
  return updates;
}

describe.each<Era>(["legacy", "modern"])("run_orchestrator with wait (%s era, real stdio)", (era) => {
  it("returns the run's stats as text and structuredContent, with progress notifications while it works", async () => {
    const s = setup();
    const client = await connectEra(era, s, { RALPH_EXECUTOR_COMMAND: command(AGENT, s.dir) });
    await ok(client, "add_tasks_batch", { descriptions: ["first job", "second job"] });

    const progress: Progress[] = [];
    const reply = await callWith(
      client,
      "run_orchestrator",
      { max_tasks: 5 },
      {
        onprogress: (p) => progress.push(p),
      },
    );

    expect(reply.isError, reply.text).toBe(false);
    const stats = reply.structured ?? {};
    expect(stats).toMatchObject({
      run_id: "run-001",
      status: "finished",
      stop_code: "queue_empty",
      processed: 2,
      completed: 2,
      failed: 0,
      retried: 0,
      executions: 2,
      tokens: { input: 0, output: 0 },
      cost_usd: 0,
    });
    expect(stats.elapsed_seconds).toEqual(expect.any(Number));
    expect(stats.stop_reason).toBe("The queue is done: no pending tasks are left.");
    const message = String(stats.message);
    expect(message).toMatch(/^run-001 finished: The queue is done.*completed 2, failed 0/);
    const [first, json] = reply.text.split("\n");
    expect(first).toBe(message);
    expect(JSON.parse(json ?? "")).toMatchObject({ run_id: "run-001", completed: 2, cost_usd: 0 });

    // The server sends every step before the result, but the SDK clients hand notifications to
    // onprogress a microtask late and drop the ones that arrive in the same read as the result, so
    // only the steps well before the end are sure to be seen.
    const messages = progress.map((p) => p.message ?? "");
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^run-001 started: up to 5 tasks, executor command, verifier none$/),
        expect.stringMatching(/^task-001 attempt 1\/3: executing — first job$/),
        expect.stringMatching(/^task-001 attempt 1: completed/),
      ]),
    );
    const values = progress.map((p) => p.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBe(values.length);

    expect(await task(client, "task-001")).toMatchObject({
      status: "completed",
      result: "answer to task-001 attempt 1",
    });
  });

  it("cancelling the request kills the execution's process tree and puts its task back in line", async () => {
    const s = setup();
    const client = await connectEra(era, s, { RALPH_EXECUTOR_COMMAND: command(TREE, s.dir) });
    await ok(client, "add_task", { description: "a job that hangs" });

    const controller = new AbortController();
    const pending = callWith(client, "run_orchestrator", {}, { signal: controller.signal });
    const pids = await agentTree(s.dir, "task-001");
    expect(await task(client, "task-001")).toMatchObject({ status: "in_progress", attempts: 1 });
    controller.abort();
    await expect(pending).rejects.toThrow();

    await expectGone(pids);
    await waitFor(async () => (await task(client, "task-001")).status === "pending", {
      what: "the task to be pending again",
    });
    expect(await task(client, "task-001")).toMatchObject({ attempts: 0, claimed_by: null, feedback: [] });
    const run = await waitFor(async () => {
      const r = await readRun(client);
      return r.status !== "running" && r;
    });
    expect(run).toMatchObject({ status: "cancelled", stop_code: "cancelled", current: null });
    expect(run.stop_reason).toMatch(/task-001 was put back in line\.$/);
  });
});

describe("background runs (wait: false)", () => {
  it("returns the run id at once; task://runs/{id} shows it running, then finished, and its subscriber hears both", async () => {
    const s = setup();
    const client = await v1(s, { RALPH_EXECUTOR_COMMAND: command(GATE, s.dir) });
    const updates = updatesOf(client);
    await ok(client, "add_task", { description: "gated job" });

    const started = await call(client, "run_orchestrator", { wait: false });
    expect(started.isError, started.text).toBe(false);
    expect(started.structured).toMatchObject({ run_id: "run-001", status: "running", processed: 0 });
    expect(started.structured?.message).toContain(RUN_1);
    await waitFor(() => existsSync(s.dir.file("started-task-001-1")), { what: "the agent to start" });

    await client.subscribeResource({ uri: RUN_1 });
    const running = await updates.until(
      RUN_1,
      () => readRun(client),
      (r) => r.current !== null,
    );
    expect(running).toMatchObject({
      id: "run-001",
      status: "running",
      current: { task_id: "task-001", attempt: 1, phase: "executing" },
      settings: { executor: "command", verifier: "none" },
    });
    expect(JSON.stringify(running)).not.toContain("gate.mjs"); // the command is not shown
    const state = await call(client, "run_orchestrator", { run_id: "run-001", wait: false });
    expect(state.structured).toMatchObject({ run_id: "run-001", status: "running" });
    expect(state.structured?.message).toMatch(/^run-001 running \(task-001 attempt 1 executing\)/);

    const ended = updates.until(
      RUN_1,
      () => readRun(client),
      (r) => r.status !== "running",
    );
    writeFileSync(s.dir.file("go"), "");
    expect(await ended).toMatchObject({ status: "finished", stop_code: "queue_empty", current: null });
    expect((await ended).stats).toMatchObject({ processed: 1, completed: 1 });
    expect(await task(client, "task-001")).toMatchObject({
      status: "completed",
      result: "gated answer to task-001",
    });

    // A change to the queue is not a change to the run.
    await client.subscribeResource({ uri: "task://queue" });
    const mark = updates.seen.length;
    const queueUpdated = updates.after(mark, "task://queue");
    await ok(client, "add_task", { description: "later" });
    await queueUpdated;
    await call(client, "list_tasks"); // a round trip: anything sent with that update has arrived
    expect(updates.seen.slice(mark)).not.toContain(RUN_1);

    // Following a run that has ended answers at once with its stats.
    const followed = await call(client, "run_orchestrator", { run_id: "run-001" });
    expect(followed.structured).toMatchObject({ run_id: "run-001", status: "finished", completed: 1 });
    // The run is listed and its id completes.
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain(RUN_1);
    const completion = await client.complete({
      ref: { type: "ref/resource", uri: "task://runs/{id}" },
      argument: { name: "id", value: "1" },
    });
    expect(completion.completion.values).toEqual(["run-001"]);
  });

  it("cancel: true stops it: the process tree is gone and the task is pending again", async () => {
    const s = setup();
    const client = await v1(s, { RALPH_EXECUTOR_COMMAND: command(TREE, s.dir) });
    await ok(client, "add_task", { description: "a job that hangs" });
    await ok(client, "run_orchestrator", { wait: false });
    const pids = await agentTree(s.dir, "task-001");

    const cancelled = await call(client, "run_orchestrator", { run_id: "run-001", cancel: true });
    expect(cancelled.isError, cancelled.text).toBe(false);
    expect(cancelled.structured).toMatchObject({
      run_id: "run-001",
      status: "cancelled",
      stop_code: "cancelled",
    });
    expect(cancelled.structured?.message).toMatch(/^run-001 cancelled: .*task-001 was put back in line/);
    await expectGone(pids);
    expect(await task(client, "task-001")).toMatchObject({
      status: "pending",
      attempts: 0,
      claimed_by: null,
    });

    const again = await call(client, "run_orchestrator", { run_id: "run-001", cancel: true });
    expect(again.isError).toBe(false);
    expect(again.structured?.message).toMatch(/^Nothing to cancel: run-001 cancelled/);
  });

  it("2026-07-28: a subscriptions/listen on task://runs/{id} hears the run until it ends", async () => {
    const s = setup();
    const client = await v2(s, { RALPH_EXECUTOR_COMMAND: command(GATE, s.dir) });
    const updates = updatesOf(client);
    await ok(client, "add_task", { description: "gated job" });
    await ok(client, "run_orchestrator", { wait: false });
    const listen = await client.listen({ resourceSubscriptions: [RUN_1] });
    cleanups.push(() => listen.close());

    const running = await updates.until(
      RUN_1,
      () => readRun(client),
      (r) => r.current !== null,
    );
    expect(running.current).toMatchObject({ task_id: "task-001", phase: "executing" });
    const ended = updates.until(
      RUN_1,
      () => readRun(client),
      (r) => r.status !== "running",
    );
    writeFileSync(s.dir.file("go"), "");
    expect(await ended).toMatchObject({ status: "finished", stats: { completed: 1 } });
  });

  it("a run of another server process: read from the store, followed by subscribe and listen, cancelled by request", async () => {
    const s = setup();
    const env = { RALPH_EXECUTOR_COMMAND: command(TREE, s.dir) };
    const owner = await v1(s, env, "owner");
    const other = await v1(s, env, "other");
    await ok(owner, "add_task", { description: "a job that hangs" });
    await ok(owner, "run_orchestrator", { wait: false });
    const pids = await agentTree(s.dir, "task-001");

    const seen = await waitFor(async () => {
      const r = await readRun(other);
      return r.current !== null && r;
    });
    expect(seen).toMatchObject({ status: "running", current: { task_id: "task-001" } });
    const updates = updatesOf(other);
    await other.subscribeResource({ uri: RUN_1 });
    const heardEnd = updates.until(
      RUN_1,
      () => readRun(other),
      (r) => r.status !== "running",
    );
    // A 2026-07-28 client of a third process listens to the same run.
    const modern = await v2(s, env, "modern-watcher");
    const modernUpdates = updatesOf(modern);
    const listen = await modern.listen({ resourceSubscriptions: [RUN_1] });
    cleanups.push(() => listen.close());
    const modernHeardEnd = modernUpdates.until(
      RUN_1,
      () => readRun(modern),
      (r) => r.status !== "running",
    );

    // The owner acts on the cancel request at its next heartbeat; with wait, the reply is the end.
    const cancelled = await call(other, "run_orchestrator", { run_id: "run-001", cancel: true });
    expect(cancelled.isError, cancelled.text).toBe(false);
    expect(cancelled.structured).toMatchObject({ run_id: "run-001", status: "cancelled" });
    expect((await heardEnd).status).toBe("cancelled");
    expect((await modernHeardEnd).status).toBe("cancelled");
    await expectGone(pids);
    expect(await task(other, "task-001")).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("a second run beyond maxActiveRuns (default 1) is a tool error naming the working run and how to follow or cancel it", async () => {
    const s = setup();
    const client = await v1(s, { RALPH_EXECUTOR_COMMAND: command(GATE, s.dir) });
    await ok(client, "add_task", { description: "gated job" });
    await ok(client, "add_task", { description: "another job" });
    expect(await ok(client, "run_orchestrator", { wait: false })).toMatchObject({ run_id: "run-001" });
    await waitFor(() => existsSync(s.dir.file("started-task-001-1")), { what: "the agent to start" });

    for (const args of [{}, { wait: false }, { max_tasks: 1 }]) {
      const refused = await call(client, "run_orchestrator", args);
      expect(refused.isError, JSON.stringify(args)).toBe(true);
      expect(refused.text).toMatch(
        /run-001 is already working; at most 1 active run per server \(maxActiveRuns, RALPH_MAX_ACTIVE_RUNS\)/,
      );
      expect(refused.text).toContain('run_orchestrator {"run_id": "run-001"}');
      expect(refused.text).toContain("task://runs/run-001");
      expect(refused.text).toContain('{"run_id": "run-001", "cancel": true}');
    }
    expect(await task(client, "task-002")).toMatchObject({ status: "pending", attempts: 0 });
    await expect(readRun(client, "task://runs/run-002")).rejects.toThrow(/No run run-002/);

    writeFileSync(s.dir.file("go"), "");
    const done = await call(client, "run_orchestrator", { run_id: "run-001" });
    expect(done.structured).toMatchObject({ status: "finished", completed: 2 });
    // Once it has ended, a new run starts.
    expect(await ok(client, "run_orchestrator", {})).toMatchObject({ run_id: "run-002", status: "finished" });
  });

  it("a run whose process died (its row left running) is reported abandoned: following it returns", async () => {
    const s = setup();
    writeFileSync(s.dir.file("ralph.json"), JSON.stringify({ heartbeatMs: 50, staleRunMs: 400 }));
    const client = await v1(s, { RALPH_EXECUTOR_COMMAND: command(AGENT, s.dir) });
    // What a `ralph-mcp run` killed with SIGKILL leaves behind: its run row, running, never updated again.
    const store = openSqliteStore({ path: s.db });
    cleanups.push(() => store.close());
    const ghost = await store.runs.create({
      max_tasks: 1,
      settings: { executor: "command" },
      owner: "gone:1",
    });
    expect(ghost.id).toBe("run-001");
    expect((await readRun(client)).status).toBe("running"); // its heartbeat is still fresh

    const followed = await Promise.race([
      call(client, "run_orchestrator", { run_id: "run-001" }),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("following a dead run never returned")), 10_000),
      ),
    ]);
    expect(followed.isError, followed.text).toBe(false);
    expect(followed.structured).toMatchObject({
      run_id: "run-001",
      status: "abandoned",
      stop_code: "abandoned",
    });
    expect(followed.text).toMatch(/^run-001 abandoned: The process running it stopped updating it/);
    expect(await readRun(client)).toMatchObject({ status: "abandoned", current: null });
    expect(await store.runs.get("run-001")).toMatchObject({ status: "abandoned" });
  });

  it("closing the stdio connection ends the server's runs: the process tree is gone, the task pending", async () => {
    const s = setup();
    const client = await connectV1(s.db, "closer", s.env({ RALPH_EXECUTOR_COMMAND: command(TREE, s.dir) }));
    await ok(client, "add_task", { description: "a job that hangs" });
    await ok(client, "run_orchestrator", { wait: false });
    const pids = await agentTree(s.dir, "task-001");

    await client.close();
    await expectGone(pids);
    const store = openSqliteStore({ path: s.db });
    cleanups.push(() => store.close());
    expect(await store.get("task-001")).toMatchObject({ status: "pending", attempts: 0 });
    expect(await store.runs.get("run-001")).toMatchObject({
      status: "cancelled",
      stop_reason: expect.stringMatching(/^The server is shutting down/),
    });
  });
});

describe("the sampling executor (RALPH_EXECUTOR=sampling)", () => {
  /** A 2025-era client that offers sampling and answers with its own "model". */
  async function samplingClient(s: Setup) {
    assertBuilt();
    const requests: CreateMessageRequest["params"][] = [];
    const client = new ClientV1({ name: "sampler", version: "1.0.0" }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      requests.push(request.params);
      const content = request.params.messages[0]?.content;
      const prompt = content && "text" in content ? String(content.text) : "";
      return {
        model: "client-model-1",
        role: "assistant",
        content: { type: "text", text: `sampled: ${prompt.includes("Write a haiku") ? "a haiku" : "?"}` },
      };
    });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI],
        env: serverEnv(s.db, s.env({ RALPH_EXECUTOR: "sampling" })),
      }),
    );
    cleanups.push(() => client.close());
    return { client, requests };
  }

  it("runs tasks on the client's model, waiting and in the background", async () => {
    const s = setup();
    const { client, requests } = await samplingClient(s);
    await ok(client, "add_task", { description: "Write a haiku about queues", criteria: "5-7-5" });

    const reply = await call(client, "run_orchestrator", {});
    expect(reply.isError, reply.text).toBe(false);
    expect(reply.structured).toMatchObject({ status: "finished", completed: 1, failed: 0 });
    expect(await task(client, "task-001")).toMatchObject({ status: "completed", result: "sampled: a haiku" });
    expect(requests).toHaveLength(1);
    const text = JSON.stringify(requests[0]?.messages);
    expect(text).toContain("Write a haiku about queues");
    expect(text).toContain("5-7-5");
    expect(requests[0]?.maxTokens).toBeGreaterThan(0);

    await ok(client, "add_task", { description: "Write a haiku about runs" });
    const started = await ok(client, "run_orchestrator", { wait: false });
    const followed = await call(client, "run_orchestrator", { run_id: String(started.run_id) });
    expect(followed.structured).toMatchObject({ run_id: "run-002", status: "finished", completed: 1 });
    expect(await task(client, "task-002")).toMatchObject({ status: "completed", result: "sampled: a haiku" });
    expect(requests).toHaveLength(2);
    expect((await readRun(client, "task://runs/run-002")).settings).toMatchObject({ executor: "sampling" });
  });

  it.each<[string, (s: Setup) => Promise<AnyClient>]>([
    ["a 2025-era client that does not offer sampling", (s) => v1(s, { RALPH_EXECUTOR: "sampling" })],
    ["a 2026-07-28 client (the revision deprecates sampling)", (s) => v2(s, { RALPH_EXECUTOR: "sampling" })],
  ])("with %s it is a tool error naming RALPH_EXECUTOR", async (_, connectTo) => {
    const s = setup();
    const client = await connectTo(s);
    await ok(client, "add_task", { description: "x" });
    const reply = await call(client, "run_orchestrator", {});
    expect(reply.isError).toBe(true);
    expect(reply.text).toMatch(/RALPH_EXECUTOR=sampling .* does not offer sampling/);
    expect(await task(client, "task-001")).toMatchObject({ status: "pending", attempts: 0 });
  });
});

describe("safety and bad calls", () => {
  it("arguments cannot name a command, and a task's text never reaches a shell", async () => {
    const s = setup();
    const client = await v1(s, { RALPH_EXECUTOR_COMMAND: command(AGENT, s.dir) });
    const pwned = s.dir.file("pwned");
    for (const args of [
      { executor_command: `touch ${pwned}` },
      { command: `touch ${pwned}` },
      { max_tasks: 1, executor: "command", verifier_command: `touch ${pwned}` },
      { limits: { maxIterations: 1 } },
    ]) {
      const reply = await call(client, "run_orchestrator", args);
      expect(reply.isError, JSON.stringify(args)).toBe(true);
      expect(reply.text).toMatch(/takes only max_tasks, wait, run_id, cancel; not /);
      expect(reply.text).toContain("come from the server's configuration");
    }
    const none = await call(client, "run_orchestrator", { run_id: "run-001", wait: false });
    expect(none.isError).toBe(true);
    expect(none.text).toMatch(/No run run-001: no run has been started/);

    const injection = `Say hi $(touch ${pwned}) \`touch ${pwned}\`; touch ${pwned}`;
    await ok(client, "add_task", { description: injection });
    const reply = await call(client, "run_orchestrator", {});
    expect(reply.structured).toMatchObject({ completed: 1 });
    expect(readFileSync(s.dir.file("prompt-task-001-1.txt"), "utf8")).toContain(injection);
    expect(existsSync(pwned)).toBe(false);
  });

  it("answers bad combinations with tool errors a model can act on", async () => {
    const s = setup();
    const client = await v1(s, { RALPH_EXECUTOR_COMMAND: command(AGENT, s.dir) });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ cancel: true }, /cancel needs run_id/],
      [{ max_tasks: 0 }, /max_tasks must be a whole number ≥ 1/],
      [{ max_tasks: 1.5 }, /max_tasks must be a whole number ≥ 1/],
      [{ wait: "yes" }, /wait must be true or false/],
      [{ run_id: "run-001", max_tasks: 3 }, /max_tasks is for a new run/],
      [{ run_id: "nonsense", wait: false }, /No run nonsense/],
    ];
    for (const [args, says] of cases) {
      const reply = await call(client, "run_orchestrator", args);
      expect(reply.isError, JSON.stringify(args)).toBe(true);
      expect(reply.text, JSON.stringify(args)).toMatch(says);
    }
  });

  it.each<[string, Record<string, string>, RegExp]>([
    [
      "RALPH_EXECUTOR=command without RALPH_EXECUTOR_COMMAND",
      { RALPH_EXECUTOR: "command" },
      /RALPH_EXECUTOR=command needs RALPH_EXECUTOR_COMMAND/,
    ],
    [
      "an unknown executor",
      { RALPH_EXECUTOR: "shell" },
      /RALPH_EXECUTOR must be anthropic, command or sampling/,
    ],
    ["no settings at all and no API key", {}, /RALPH_EXECUTOR=anthropic needs ANTHROPIC_API_KEY/],
    ["an unreadable config file", { RALPH_CONFIG: "/nonexistent/ralph.json" }, /RALPH_CONFIG/],
  ])(
    "a wrong setting (%s) is a tool error naming it; nothing runs and the server keeps answering",
    async (_, env, says) => {
      const s = setup();
      const client = await v1(s, env);
      await ok(client, "add_task", { description: "x" });
      const reply = await call(client, "run_orchestrator", {});
      expect(reply.isError).toBe(true);
      expect(reply.structured).toBeUndefined();
      expect(reply.text).toMatch(says);
      expect(await task(client, "task-001")).toMatchObject({ status: "pending", attempts: 0 });
      expect((await client.listResources()).resources.map((r) => r.uri)).not.toContain(RUN_1);
      expect((await call(client, "run_orchestrator", { wait: false })).text).toMatch(says);
    },
  );

  it("settings are read at each start: fixing the config file makes the next call work", async () => {
    const s = setup();
    const config = s.dir.file("ralph.json");
    writeFileSync(config, JSON.stringify({ heartbeatMs: 50, breaker: { maxIterations: 0 } }));
    const client = await v1(s, { RALPH_EXECUTOR_COMMAND: command(AGENT, s.dir) });
    await ok(client, "add_task", { description: "x" });
    const bad = await call(client, "run_orchestrator", {});
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/breaker\.maxIterations: maxIterations must be at least 1/);

    writeFileSync(config, JSON.stringify({ heartbeatMs: 50 }));
    const good = await call(client, "run_orchestrator", {});
    expect(good.isError, good.text).toBe(false);
    expect(good.structured).toMatchObject({ run_id: "run-001", completed: 1 });
  });
});
