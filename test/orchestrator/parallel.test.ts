/**
 * `--parallel N`: one run works up to N tasks at once, with one breaker and one budget for all of
 * them, stats that add up, and a cancel that stops every worker.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadOrchestratorOptions } from "../../src/orchestrator/config.js";
import { runLiveLine } from "../../src/orchestrator/format.js";
import { RunRegistry } from "../../src/orchestrator/registry.js";
import type { RunProgress } from "../../src/orchestrator/types.js";
import { sq, testOptions, useStore, waitFor } from "./helpers.js";

const fixtures = join(import.meta.dirname, "fixtures");
const ctx = useStore();

const gateAgent = (gate: number, mode = "ok") =>
  `node ${sq(join(fixtures, "gate-agent.mjs"))} ${sq(ctx.dir.path)} ${gate} ${mode}`;

async function addTasks(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= n; i++) ids.push((await ctx.store.create({ description: `Task ${i}` })).task.id);
  return ids;
}

function peakLive(): number {
  const lines = readFileSync(ctx.dir.file("live.log"), "utf8").trim().split("\n");
  return Math.max(...lines.map(Number));
}

describe("a run with parallel workers", () => {
  it("6 tasks, parallel 3 (the configured setting, as run_orchestrator starts it): 3 at once, never more, stats add up", async () => {
    await addTasks(6);
    const registry = new RunRegistry({
      store: ctx.store,
      options: testOptions({ executor: "command", executorCommand: gateAgent(3), parallel: 3 }),
    });
    const events: RunProgress[] = [];
    const run = await registry.start({ maxTasks: 10, onProgress: (e) => events.push(e) });
    const final = await run.done;

    expect(final).toMatchObject({ status: "finished", stop_code: "queue_empty" });
    expect(final.settings).toMatchObject({ parallel: 3 });
    expect(final.stats).toMatchObject({ processed: 6, completed: 6, executions: 6, failed: 0, retried: 0 });
    expect(peakLive()).toBe(3); // the gate opens only when three ran at once; no fourth ever did
    expect((await ctx.store.stats()).completed).toBe(6);
    // Each worker's task and phase is shown while they work.
    const busy = events.find((e) => e.workers.length === 3);
    expect(busy?.workers.map((w) => w.worker)).toEqual([1, 2, 3]);
    expect(runLiveLine(busy?.run ?? final, busy?.workers)).toMatch(/w1 task-\d+ executing · w2 task-\d+/);
    const claimedBy = new Set(events.filter((e) => e.kind === "claimed").map((e) => e.worker));
    expect(claimedBy).toEqual(new Set([1, 2, 3]));
  });

  it("one breaker for the whole run: the iteration limit counts every worker's executions", async () => {
    await addTasks(6);
    const registry = new RunRegistry({
      store: ctx.store,
      options: testOptions({
        executor: "command",
        executorCommand: gateAgent(1),
        parallel: 3,
        breaker: { ...testOptions().breaker, maxIterations: 4 },
      }),
    });
    const final = await (await registry.start()).done;
    expect(final.stop_code).toBe("max_iterations");
    expect(final.stats.executions).toBe(4);
    expect(final.stats.completed).toBe(4);
    const stats = await ctx.store.stats();
    expect(stats).toMatchObject({ completed: 4, pending: 2, in_progress: 0 });
  });

  it("one breaker for the whole run: failures in a row are counted across workers", async () => {
    const ids = await addTasks(6);
    const registry = new RunRegistry({
      store: ctx.store,
      options: testOptions({
        executor: "command",
        executorCommand: "echo broken >&2; exit 1",
        parallel: 3,
        breaker: { ...testOptions().breaker, cooldownMs: 0, repeatThreshold: 5, maxConsecutiveFailures: 3 },
      }),
    });
    const final = await (await registry.start()).done;
    expect(final.stop_code).toBe("consecutive_failures");
    // Three failures open it; at most the two started alongside the third are let finish.
    expect(final.stats.executions).toBeGreaterThanOrEqual(3);
    expect(final.stats.executions).toBeLessThanOrEqual(5);
    const tasks = await Promise.all(ids.map((id) => ctx.store.get(id)));
    expect(tasks.every((t) => t.status === "pending" && t.claimed_by === null)).toBe(true);
  });

  it("cancel stops every worker: each execution killed, each task back in line with its attempt given back", async () => {
    const ids = await addTasks(3);
    const registry = new RunRegistry({
      store: ctx.store,
      options: testOptions({ executor: "command", executorCommand: gateAgent(2, "hang"), parallel: 2 }),
    });
    const run = await registry.start();
    await waitFor(() => {
      try {
        return readFileSync(ctx.dir.file("live.log"), "utf8").trim().split("\n").length >= 2;
      } catch {
        return false;
      }
    });
    run.cancel();
    const final = await run.done;
    expect(final.status).toBe("cancelled");
    expect(final.stop_reason).toMatch(/task-00\d, task-00\d were put back in line\.$/);
    const tasks = await Promise.all(ids.map((id) => ctx.store.get(id)));
    expect(tasks.map((t) => [t.status, t.attempts])).toEqual([
      ["pending", 0],
      ["pending", 0],
      ["pending", 0],
    ]);
  });

  it("RALPH_PARALLEL sets it; anything but a whole number from 1 to 64 is a setting error naming it", () => {
    expect(loadOrchestratorOptions({ env: { RALPH_PARALLEL: "4" } }).parallel).toBe(4);
    expect(loadOrchestratorOptions({ env: {} }).parallel).toBe(1);
    expect(() => loadOrchestratorOptions({ env: { RALPH_PARALLEL: "0" } })).toThrow(/RALPH_PARALLEL must be/);
    expect(() => loadOrchestratorOptions({ env: { RALPH_PARALLEL: "lots" } })).toThrow(/RALPH_PARALLEL/);
  });
});
