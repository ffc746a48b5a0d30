/**
 * A person's decision while a run executes stands: the run's write-back of its own attempt
 * (complete, retry, fail, release) requires still holding the task, and a task decided elsewhere
 * is counted as `lost` in the run, never failed or retried by it. A real store, a real command
 * executor held at a gate, a check command that always fails, and a second store object (another
 * process's view) acting mid-execution.
 */
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../src/domain/task.js";
import { OrchestratorBuilder } from "../../src/orchestrator/builder.js";
import { RunRegistry } from "../../src/orchestrator/registry.js";
import type { RunProgress } from "../../src/orchestrator/types.js";
import type { SqliteTaskStore } from "../../src/store/sqlite/store.js";
import { makeStore, sq, testOptions, useStore, waitFor } from "./helpers.js";

const GATE = resolve(import.meta.dirname, "../mcp/fixtures/gate.mjs");
const ctx = useStore();

function registry(): RunRegistry {
  return new RunRegistry({
    store: ctx.store,
    options: testOptions({
      executor: "command",
      executorCommand: `${sq(process.execPath)} ${sq(GATE)} ${sq(ctx.dir.path)}`,
      verifier: "command",
      verifierCommand: "cat >/dev/null; echo 'not good enough'; exit 1",
    }),
  });
}

/** Start a run on one task; once its executor has started, `act` on a second store, then let the executor answer. */
async function decideMidExecution(
  act: (other: SqliteTaskStore, taskId: string) => Promise<unknown>,
  onProgress?: (event: RunProgress, cancel: () => void) => void,
) {
  const { task } = await ctx.store.create({ description: "A job", max_attempts: 3 });
  const events: RunProgress[] = [];
  const handle = await registry().start({
    onProgress: (e) => {
      events.push(e);
      onProgress?.(e, () => handle.cancel("test"));
    },
  });
  await waitFor(() => existsSync(ctx.dir.file(`started-${task.id}-1`)), { what: "the executor to start" });
  expect((await ctx.store.get(task.id)).status).toBe("in_progress");
  const other = makeStore(ctx.dir);
  try {
    await act(other, task.id);
  } finally {
    await other.close();
  }
  writeFileSync(ctx.dir.file("go"), "");
  return { task, events, handle };
}

describe("a decision made while the run executes stands", () => {
  it("a person's complete keeps their result and status; the run records the task as lost", async () => {
    const { task, events, handle } = await decideMidExecution((other, id) =>
      other.complete(id, "done by hand"),
    );
    const final = await handle.done;
    expect(await ctx.store.get(task.id)).toMatchObject({
      status: "completed",
      result: "done by hand",
      feedback: [],
    });
    expect(final.stats).toMatchObject({ executions: 1, completed: 0, failed: 0, retried: 0, lost: 1 });
    expect(final.stop_code).toBe("queue_empty");
    expect(events.find((e) => e.kind === "lost")?.message).toMatch(
      /^task-001 attempt 1: its outcome was not stored: task-001 is no longer held by run-001@.*: it is completed now/,
    );
  });

  it("a person's fail stays failed and the task is not executed again", async () => {
    const { task, handle } = await decideMidExecution((other, id) => other.fail(id, "not wanted"));
    const final = await handle.done;
    expect(await ctx.store.get(task.id)).toMatchObject({
      status: "failed",
      failure_reason: "not wanted",
      attempts: 1,
      feedback: [],
    });
    expect(existsSync(ctx.dir.file(`started-${task.id}-2`))).toBe(false);
    expect(final.stats).toMatchObject({ executions: 1, failed: 0, retried: 0, lost: 1 });
  });

  it("resetAll during the execution leaves the task pending with attempts 0, not failed", async () => {
    // The run stops as soon as it has written back (or dropped) its attempt, before it claims again.
    const settled = new Set(["lost", "failed", "retried", "completed"]);
    const { task, events, handle } = await decideMidExecution(
      (other) => other.resetAll(),
      (e, cancel) => {
        if (settled.has(e.kind)) cancel();
      },
    );
    const final = await handle.done;
    expect(events.filter((e) => settled.has(e.kind)).map((e) => e.kind)).toEqual(["lost"]);
    expect(await ctx.store.get(task.id)).toMatchObject({
      status: "pending",
      attempts: 0,
      claimed_by: null,
      feedback: [],
    });
    expect(final.stats).toMatchObject({ failed: 0, retried: 0, lost: 1 });
  });
});

describe("a task of this run that cannot take more feedback", () => {
  it("fails with the feedback as its reason (the feedback-entries limit), held by the run until then", async () => {
    const { task } = await ctx.store.create({ description: "A job", max_attempts: 2 });
    for (let i = 0; i < LIMITS.feedbackEntries; i++) {
      await ctx.store.complete(task.id, "x");
      await ctx.store.retry(task.id, `feedback ${i}`);
    }
    const final = await new OrchestratorBuilder()
      .withTaskStore(ctx.store)
      .withExecutor({
        kind: "test",
        execute: async () => ({ ok: true, output: "an answer", tokens: { input: 0, output: 0 } }),
      })
      .withVerifier({
        kind: "test",
        verify: async () => ({ passed: false, feedback: "still wrong", issues: [], confidence: 1 }),
      })
      .build()
      .run();
    expect(await ctx.store.get(task.id)).toMatchObject({ status: "failed", failure_reason: "still wrong" });
    expect(final.stats).toMatchObject({ failed: 1, retried: 0, lost: 0 });
  });
});
