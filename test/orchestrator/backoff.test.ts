/**
 * Back-off: a task the loop sends back for retry is not claimed again before its not_before
 * (retryDelayMs, doubling per attempt, capped; 0 turns it off), and a run with nothing else to do
 * waits for it instead of ending.
 */
import { describe, expect, it } from "vitest";
import { loadOrchestratorOptions } from "../../src/orchestrator/config.js";
import { retryDelay } from "../../src/orchestrator/options.js";
import { RunRegistry } from "../../src/orchestrator/registry.js";
import type { RunProgress } from "../../src/orchestrator/types.js";
import { testOptions, useStore } from "./helpers.js";

const ctx = useStore();
const failsOnce = 'if [ "$RALPH_TASK_ATTEMPT" = 1 ]; then echo "not yet" >&2; exit 1; fi; echo done';

describe("back-off of a retried task", () => {
  it("the retry waits for its not_before; the run waits for it instead of ending, then completes it", async () => {
    const { task } = await ctx.store.create({ description: "Flaky job" });
    const runs = new RunRegistry({
      store: ctx.store,
      options: testOptions({ executor: "command", executorCommand: failsOnce, retryDelayMs: 400 }),
    });
    const events: RunProgress[] = [];
    const final = await (await runs.start({ onProgress: (e) => events.push(e) })).done;

    expect(final).toMatchObject({ status: "finished", stop_code: "queue_empty" });
    expect(final.stats).toMatchObject({ completed: 1, retried: 1, executions: 2 });
    const done = await ctx.store.get(task.id);
    const retriedAt = Date.parse(done.feedback[0]?.at ?? "");
    expect(Date.parse(done.started_at ?? "") - retriedAt).toBeGreaterThanOrEqual(400);
    expect(done.not_before).toBeNull(); // the claim cleared it
    expect(events.find((e) => e.kind === "retried")?.message).toMatch(/back in line in 400 ms/);
    expect(events.some((e) => e.kind === "backoff" && e.run.current?.phase === "backoff")).toBe(true);
  });

  it("another run does not claim a task while it backs off, nor wait for it", async () => {
    const { task } = await ctx.store.create({ description: "Second" });
    await ctx.store.claimNext({ workerId: "w" });
    const backing = await ctx.store.retry(task.id, "again", { workerId: "w", delayMs: 60_000 });
    expect(Date.parse(backing.not_before ?? "")).toBeGreaterThan(Date.now() + 50_000);
    const other = new RunRegistry({
      store: ctx.store,
      options: testOptions({ executor: "command", executorCommand: "echo hi" }),
    });
    const final = await (await other.start()).done;
    expect(final.stats.executions).toBe(0);
    expect(final.stop_reason).toMatch(/No pending task is ready/);
    expect(await ctx.store.get(task.id)).toMatchObject({ status: "pending", attempts: 1 });
  });

  it("doubles per attempt, is capped, 0 turns it off; retryDelayMs comes from settings (default 2 s)", () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(n, 2000, 10_000))).toEqual([2000, 4000, 8000, 10_000]);
    expect(retryDelay(5, 0, 10_000)).toBe(0);
    expect(loadOrchestratorOptions({ env: {} }).retryDelayMs).toBe(2000);
  });
});
