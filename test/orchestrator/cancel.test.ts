/**
 * Background runs and cancellation through the RunRegistry (what run_orchestrator and
 * task://runs/{id} are built on): cancelling mid-execution kills the command's whole process tree
 * and puts its task back in line, whether the cancel comes from this process, from an aborted
 * request signal, or from another process sharing the store.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Run } from "../../src/domain/run.js";
import { RunRegistry } from "../../src/orchestrator/registry.js";
import type { RunProgress } from "../../src/orchestrator/types.js";
import type { SqliteTaskStore } from "../../src/store/sqlite/store.js";
import { isAlive, makeDir, makeStore, sq, type TestDir, testOptions, waitFor } from "./helpers.js";

const fixtures = join(import.meta.dirname, "fixtures");
let dir: TestDir;
let store: SqliteTaskStore;
let registry: RunRegistry;

beforeEach(() => {
  dir = makeDir();
  store = makeStore(dir);
  registry = new RunRegistry({
    store,
    options: testOptions({
      executor: "command",
      executorCommand: `sh ${sq(join(fixtures, "tree.sh"))} ${sq(dir.path)}`,
    }),
    watchPollMs: 20,
  });
});
afterEach(async () => {
  await registry.close();
  await store.close();
  dir.cleanup();
});

/** The pids of the agent's process tree (shell, two sleeps, a subshell), once it has started. */
async function agentTree(taskId: string): Promise<number[]> {
  const file = dir.file(`pids-${taskId}-1`);
  const text = await waitFor(() => existsSync(file) && readFileSync(file, "utf8"), {
    what: "the agent's tree",
  });
  const pids = text.trim().split(" ").map(Number);
  expect(pids).toHaveLength(4);
  expect(pids.every(isAlive)).toBe(true);
  return pids;
}

async function expectGone(pids: number[]): Promise<void> {
  await waitFor(() => pids.every((pid) => !isAlive(pid)), {
    what: "the process tree to be gone",
    timeoutMs: 5000,
  });
}

describe("cancelling a run mid-execution", () => {
  it("registry.cancel: the process tree is gone and the task is pending again with its attempt given back", async () => {
    const { task } = await store.create({ description: "Long job" });
    const handle = await registry.start({ maxTasks: 5 });
    expect(handle.id).toBe("run-001");
    const pids = await agentTree(task.id);
    expect(await store.get(task.id)).toMatchObject({ status: "in_progress", claimed_by: handle.workerId });
    expect(handle.snapshot().current).toMatchObject({ task_id: task.id, attempt: 1, phase: "executing" });

    const final = await registry.cancel(handle.id, "Cancelled by the test");

    expect(final).toMatchObject({ id: "run-001", status: "cancelled", stop_code: "cancelled" });
    expect(final.stop_reason).toBe(`Cancelled by the test. ${task.id} was put back in line.`);
    await expectGone(pids);
    expect(await store.get(task.id)).toMatchObject({
      status: "pending",
      attempts: 0,
      claimed_by: null,
      lease_expires_at: null,
      feedback: [],
    });
    expect(await store.runs.get(handle.id)).toMatchObject({ status: "cancelled", current: null });
    expect(registry.handle(handle.id)).toBeUndefined();
  });

  it("an aborted request signal cancels the run the same way (run_orchestrator with wait=true)", async () => {
    const { task } = await store.create({ description: "Long job" });
    const request = new AbortController();
    const handle = await registry.start({ signal: request.signal });
    const pids = await agentTree(task.id);

    request.abort();
    const final = await handle.done;

    expect(final.status).toBe("cancelled");
    expect(final.stop_reason).toBe(`Cancelled by the caller. ${task.id} was put back in line.`);
    await expectGone(pids);
    expect(await store.get(task.id)).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("a cancel from another process (another store object on the file) is picked up at the next heartbeat", async () => {
    const { task } = await store.create({ description: "Long job" });
    const handle = await registry.start();
    const pids = await agentTree(task.id);

    const other = makeStore(dir);
    try {
      const otherRegistry = new RunRegistry({ store: other, options: testOptions() });
      const requested = await otherRegistry.cancel(handle.id);
      expect(requested).toMatchObject({ status: "running", cancel_requested: true });
    } finally {
      await other.close();
    }
    const final = await handle.done;

    expect(final.status).toBe("cancelled");
    expect(final.stop_reason).toMatch(
      /^Cancelled by a request from another process\. task-001 was put back in line\.$/,
    );
    await expectGone(pids);
    expect(await store.get(task.id)).toMatchObject({ status: "pending", attempts: 0 });
  });
});

describe("watching runs", () => {
  it("progress events: seq always increases, every step is reported, the last is the end", async () => {
    await store.create({ description: "one" });
    await store.create({ description: "two" });
    const quick = new RunRegistry({
      store,
      options: testOptions({ executor: "command", executorCommand: "cat >/dev/null; echo done" }),
    });
    const events: RunProgress[] = [];
    const final = await (await quick.start({ onProgress: (e) => events.push(e) })).done;

    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    const kinds = events.map((e) => e.kind).filter((k) => k !== "working");
    expect(kinds).toEqual([
      "started",
      "claimed",
      "verifying",
      "completed",
      "claimed",
      "verifying",
      "completed",
      "stopped",
    ]);
    const last = events.at(-1) as RunProgress;
    expect(last.run).toMatchObject({ status: "finished", stats: final.stats });
    expect(last.message).toBe("run-001 finished: The queue is done: no pending tasks are left.");
  });

  it("watch() follows a run of this process to its end", async () => {
    const { task } = await store.create({ description: "Long job" });
    const handle = await registry.start();
    const seen: Run[] = [];
    registry.watch(handle.id, (run) => seen.push(run));
    await agentTree(task.id);
    await waitFor(() => seen.some((r) => r.current?.task_id === task.id), {
      what: "an update naming the task",
    });

    await registry.cancel(handle.id);

    await waitFor(() => seen.at(-1)?.status === "cancelled", { what: "the final record" });
  });

  it("watch() follows a run of another process through the store; get() reads it", async () => {
    const { task } = await store.create({ description: "Long job" });
    const handle = await registry.start();
    await agentTree(task.id);

    const other = makeStore(dir);
    try {
      const otherRegistry = new RunRegistry({ store: other, options: testOptions(), watchPollMs: 20 });
      expect(otherRegistry.handle(handle.id)).toBeUndefined();
      expect(await otherRegistry.get(handle.id)).toMatchObject({ id: handle.id, status: "running" });
      const seen: Run[] = [];
      const stop = otherRegistry.watch(handle.id, (run) => seen.push(run));
      await waitFor(() => seen.length > 0, { what: "a first reading" });

      await registry.cancel(handle.id);

      await waitFor(() => seen.at(-1)?.status === "cancelled", {
        what: "the final record through the store",
      });
      stop();
      await expect(otherRegistry.get("run-999")).rejects.toThrow("No run run-999. Recent runs: run-001.");
    } finally {
      await other.close();
    }
  });

  it("a run left running by a dead process is marked abandoned when the next run starts", async () => {
    const ghost = await store.runs.create({ max_tasks: 1, settings: {}, owner: "gone:1" });
    const quick = new RunRegistry({
      store,
      options: testOptions({ executor: "command", executorCommand: "echo hi", staleRunMs: 150 }),
    });
    await waitFor(async () => Date.now() - Date.parse((await store.runs.get(ghost.id)).updated_at) > 200);
    await (await quick.start()).done;

    const after = await store.runs.get(ghost.id);
    expect(after).toMatchObject({ status: "abandoned", stop_code: "abandoned" });
    expect(after.stop_reason).toMatch(/stopped updating it/);
  });

  it("a live run another process marks abandoned stops here: its execution killed, its task back in line", async () => {
    const { task } = await store.create({ description: "Long job" });
    const handle = await registry.start();
    const pids = await agentTree(task.id);

    // Another process sees a heartbeat older than its staleRunMs (a suspended laptop, a wrong setting).
    const other = makeStore(dir);
    try {
      // (An empty list is truthy: wait for one that names the run; a heartbeat may land in the same ms.)
      const abandoned = await waitFor(
        async () => {
          const ids = (await other.runs.abandonStale(0)).map((r) => r.id);
          return ids.length > 0 && ids;
        },
        { what: "the run to be marked abandoned" },
      );
      expect(abandoned).toEqual([handle.id]);
    } finally {
      await other.close();
    }

    const final = await Promise.race([
      handle.done,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("the run kept running after it was abandoned")), 5000),
      ),
    ]);
    expect(final).toMatchObject({ status: "cancelled", stop_code: "cancelled" });
    expect(final.stop_reason).toMatch(
      /^Stopped: another process ended its record \(run-001 has already ended \(abandoned\)/,
    );
    expect(final.stop_reason).toMatch(/task-001 was put back in line\.$/);
    await expectGone(pids);
    expect(await store.get(task.id)).toMatchObject({ status: "pending", attempts: 0, claimed_by: null });
    expect(registry.handle(handle.id)).toBeUndefined();
    expect(await store.runs.get(handle.id)).toMatchObject({ status: "abandoned" });
  });

  it("maxActiveRuns caps the runs a registry works at once, also when starts race", async () => {
    await store.create({ description: "Long job" });
    await store.create({ description: "Another long job" });
    const starts = await Promise.allSettled([registry.start(), registry.start()]);
    expect(starts.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const refused = starts.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: "conflict" });
    await expect(registry.start()).rejects.toThrow(/^run-001 is already working; at most 1 active run/);
    expect(registry.list().map((h) => h.id)).toEqual(["run-001"]);

    const two = new RunRegistry({
      store,
      options: {
        ...testOptions({
          executor: "command",
          executorCommand: `sh ${sq(join(fixtures, "tree.sh"))} ${sq(dir.path)}`,
        }),
        maxActiveRuns: 2,
      },
    });
    try {
      expect((await two.start()).id).toBe("run-002");
      expect((await two.start()).id).toBe("run-003");
      await expect(two.start()).rejects.toThrow(
        /^run-002, run-003 are already working; at most 2 active runs/,
      );
    } finally {
      await two.close();
    }
  });
});
