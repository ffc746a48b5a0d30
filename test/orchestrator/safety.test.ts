/**
 * The circuit breaker inside real runs: a run that keeps failing stops early with a reason that
 * names the cause and loses no task; limits and budgets end a run; a run can be resumed later.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Task } from "../../src/domain/task.js";
import { OrchestratorBuilder } from "../../src/orchestrator/builder.js";
import { DEFAULT_BREAKER_LIMITS } from "../../src/orchestrator/options.js";
import { createExecutor } from "../../src/orchestrator/parts.js";
import { RunRegistry } from "../../src/orchestrator/registry.js";
import type { ExecutionResult, Executor, RunProgress } from "../../src/orchestrator/types.js";
import { isAlive, ManualClock, sq, testOptions, useStore, waitFor } from "./helpers.js";

const fixtures = join(import.meta.dirname, "fixtures");
const ctx = useStore();

const agent = (mode = "ok") => `node ${sq(join(fixtures, "agent.mjs"))} ${sq(ctx.dir.path)} ${mode}`;

/** A stand-in agent in code: answers from a function of the task and attempt. */
function codeAgent(answer: (task: Task, attempt: number) => ExecutionResult, model?: string): Executor {
  return { kind: "test", model, execute: async ({ task, attempt }) => answer(task, attempt) };
}

async function addTasks(n: number, maxAttempts = 10): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= n; i++)
    ids.push((await ctx.store.create({ description: `Task ${i}`, max_attempts: maxAttempts })).task.id);
  return ids;
}

describe("a run that keeps failing", () => {
  it("an agent that always fails the same way: stopped early, the cause named, no task lost, resumable", async () => {
    const ids = await addTasks(4);
    const failing = new RunRegistry({
      store: ctx.store,
      options: testOptions({
        executor: "command",
        executorCommand: agent("fail"),
        breaker: { ...DEFAULT_BREAKER_LIMITS, cooldownMs: 0 },
      }),
    });

    const stopped = await (await failing.start({ maxTasks: 10 })).done;

    expect(stopped.status).toBe("stopped");
    expect(stopped.stop_code).toBe("repeated_error");
    expect(stopped.stop_reason).toMatch(/same error came back 3 times in the last 5 executions/);
    expect(stopped.stop_reason).toContain("fatal: could not open config.json");
    expect(stopped.stats.executions).toBe(3); // early: not 4 tasks × 10 attempts
    const tasks = await Promise.all(ids.map((id) => ctx.store.get(id)));
    expect(tasks.map((t) => t.status)).toEqual(["pending", "pending", "pending", "pending"]);
    expect(tasks.every((t) => t.claimed_by === null)).toBe(true);
    expect((await ctx.store.stats()).total).toBe(4);

    // Fixed agent, next run: every task done, including the ones the stopped run had tried.
    const fixed = new RunRegistry({
      store: ctx.store,
      options: testOptions({ executor: "command", executorCommand: agent() }),
    });
    const resumed = await (await fixed.start({ maxTasks: 10 })).done;

    expect(resumed.status).toBe("finished");
    expect(resumed.stats.completed).toBe(4);
    expect((await ctx.store.stats()).completed).toBe(4);
    const first = await ctx.store.get(ids[0] as string);
    expect(first.feedback.at(-1)?.text).toContain("fatal: could not open config.json");
    // The resumed attempt saw the earlier failure in its prompt.
    expect(readFileSync(ctx.dir.file(`prompt-${first.id}-${first.attempts}.txt`), "utf8")).toContain(
      "could not open config.json",
    );
  });

  it("open → cooldown → one trial (half-open) → still failing → stopped, with no time passing for real", async () => {
    await addTasks(3);
    const clock = new ManualClock();
    const events: RunProgress[] = [];
    const orchestrator = new OrchestratorBuilder()
      .withTaskStore(ctx.store)
      .withExecutor(
        codeAgent((task, attempt) => ({
          ok: false,
          error: `${task.id}/${attempt} broke`,
          tokens: { input: 0, output: 0 },
        })),
      )
      .withSafety({ maxConsecutiveFailures: 2, repeatThreshold: 5, cooldownMs: 60_000, maxTrips: 2 })
      .withClock(clock)
      .withLoopSettings({ heartbeatMs: 50 })
      .build();

    const handle = await orchestrator.start({ onProgress: (e) => events.push(e) });
    await waitFor(() => events.some((e) => e.kind === "cooldown"), { what: "the breaker to open" });
    expect(handle.snapshot().current?.phase).toBe("cooldown");
    expect(handle.snapshot().stats.executions).toBe(2);
    clock.advance(60_000);
    const final = await handle.done;

    expect(final.stop_code).toBe("consecutive_failures");
    expect(final.stop_reason).toMatch(
      /2 attempts in a row did not pass.*Still failing after a 60 s cooldown/,
    );
    expect(final.stats.executions).toBe(3); // two, then one trial
    expect((await ctx.store.stats()).in_progress).toBe(0);
  });

  it("per-task attempts: one task tried too often in one run stops the run", async () => {
    const { task } = await ctx.store.create({ description: "Hard one", max_attempts: 50 });
    const final = await new OrchestratorBuilder()
      .withTaskStore(ctx.store)
      .withExecutor(
        codeAgent((_t, attempt) => ({ ok: true, output: `try ${attempt}`, tokens: { input: 0, output: 0 } })),
      )
      .withVerifier({
        kind: "test",
        verify: async () => ({ passed: false, confidence: 1, feedback: "not yet", issues: [] }),
      })
      .withSafety({ maxTaskAttempts: 3, maxConsecutiveFailures: 100, cooldownMs: 0 })
      .build()
      .run();

    expect(final.stop_code).toBe("task_attempts");
    expect(final.stop_reason).toBe(`${task.id} was attempted 3 times in this run without passing (limit 3).`);
    expect(await ctx.store.get(task.id)).toMatchObject({ status: "pending", attempts: 3 });
  });

  it("the same rejected output again and again stops the run", async () => {
    await addTasks(3);
    const final = await new OrchestratorBuilder()
      .withTaskStore(ctx.store)
      .withExecutor(
        codeAgent(() => ({ ok: true, output: "I cannot help with that.", tokens: { input: 0, output: 0 } })),
      )
      .withVerifier({
        kind: "test",
        verify: async () => ({ passed: false, confidence: 1, feedback: "no", issues: [] }),
      })
      .withSafety({ repeatThreshold: 3, repeatWindow: 5, cooldownMs: 0 })
      .build()
      .run();

    expect(final.stop_code).toBe("repeated_output");
    expect(final.stop_reason).toContain('"I cannot help with that."');
    expect(final.stats.executions).toBe(3);
  });
});

describe("limits and budgets of a run", () => {
  it("cost budget: tokens × the price table", async () => {
    await addTasks(5);
    // claude-sonnet-4-5 at $3 / $15 per million: 100k in + 10k out = $0.45 per execution.
    const final = await new OrchestratorBuilder()
      .withTaskStore(ctx.store)
      .withExecutor(
        codeAgent(
          () => ({ ok: true, output: "ok", tokens: { input: 100_000, output: 10_000 } }),
          "claude-sonnet-4-5",
        ),
      )
      .withSafety({ maxCostUsd: 1 })
      .build()
      .run();

    expect(final.stop_code).toBe("cost_budget");
    expect(final.stats.executions).toBe(3);
    expect(final.stats.cost_usd).toBeCloseTo(1.35, 9);
    expect(final.stop_reason).toBe("Spent $1.35, which reaches the cost budget of $1.00 for one run.");
    expect((await ctx.store.stats()).pending).toBe(2);
  });

  it("the price table is configurable", async () => {
    await addTasks(1);
    const final = await new OrchestratorBuilder()
      .withTaskStore(ctx.store)
      .withExecutor(
        codeAgent(() => ({ ok: true, output: "ok", tokens: { input: 1_000_000, output: 0 } }), "my-model-1"),
      )
      .withPrices({ "my-model": { input: 0.5, output: 1 } })
      .build()
      .run();
    expect(final.stats.cost_usd).toBeCloseTo(0.5, 9);
  });

  it("max iterations", async () => {
    await addTasks(5);
    const final = await new OrchestratorBuilder()
      .withTaskStore(ctx.store)
      .withExecutor(codeAgent(() => ({ ok: true, output: "ok", tokens: { input: 0, output: 0 } })))
      .withSafety({ maxIterations: 2 })
      .build()
      .run();
    expect(final).toMatchObject({ status: "stopped", stop_code: "max_iterations" });
    expect(final.stats.completed).toBe(2);
    expect((await ctx.store.stats()).pending).toBe(3);
  });

  it("max_tasks counts distinct tasks: a task's retries within the run do not count again", async () => {
    const first = await ctx.store.create({ description: "needs two tries" });
    await addTasks(3);
    const final = await new OrchestratorBuilder()
      .withTaskStore(ctx.store)
      .withExecutor(
        codeAgent((_t, attempt) => ({ ok: true, output: `try ${attempt}`, tokens: { input: 0, output: 0 } })),
      )
      .withVerifier({
        kind: "test",
        verify: async ({ attempt }) => ({
          passed: attempt > 1,
          confidence: 1,
          feedback: "again",
          issues: [],
        }),
      })
      .build()
      .run({ maxTasks: 1 });

    expect(final).toMatchObject({ status: "finished", stop_code: "max_tasks" });
    expect(final.stop_reason).toBe("Processed 1 task (max_tasks 1).");
    expect(final.stats).toMatchObject({ processed: 1, completed: 1, retried: 1, executions: 2 });
    expect(await ctx.store.get(first.task.id)).toMatchObject({ status: "completed", attempts: 2 });
    const stats = await ctx.store.stats();
    expect(stats).toMatchObject({ pending: 3, in_progress: 0 });
    expect(stats.average_attempts).toBe(0.5); // the others were not started (a claim past the cap is given back)
  });

  it("wall-clock time: an execution still going at the limit is killed and its task put back", async () => {
    const { task } = await ctx.store.create({ description: "Takes forever" });
    const clock = new ManualClock();
    const handle = await new OrchestratorBuilder()
      .withTaskStore(ctx.store)
      .withExecutor(
        createExecutor(
          testOptions({
            executor: "command",
            executorCommand: `sh ${sq(join(fixtures, "tree.sh"))} ${sq(ctx.dir.path)}`,
          }),
        ),
      )
      .withSafety({ maxWallClockMs: 60_000 })
      .withClock(clock)
      .build()
      .start();
    const pidFile = ctx.dir.file(`pids-${task.id}-1`);
    const pids = (
      await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, "utf8"), { what: "the agent tree" })
    )
      .trim()
      .split(" ")
      .map(Number);
    expect(pids).toHaveLength(4);
    expect(pids.every(isAlive)).toBe(true);

    clock.advance(60_000);
    const final = await handle.done;

    expect(final).toMatchObject({ status: "stopped", stop_code: "wall_clock" });
    expect(final.stop_reason).toBe(
      `Reached the wall-clock limit of 60 s for one run. ${task.id} was put back in line.`,
    );
    await waitFor(() => pids.every((pid) => !isAlive(pid)), {
      what: "the process tree to be gone",
      timeoutMs: 5000,
    });
    expect(await ctx.store.get(task.id)).toMatchObject({ status: "pending", attempts: 0, claimed_by: null });
  });
});
