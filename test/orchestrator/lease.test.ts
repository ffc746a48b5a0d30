/**
 * Leases during long executions: a run renews the lease of the task it executes, so no other worker
 * can take it; a task taken away meanwhile (a person reset the queue) is left to its new state.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OrchestratorBuilder } from "../../src/orchestrator/builder.js";
import { createExecutor } from "../../src/orchestrator/parts.js";
import type { RunProgress } from "../../src/orchestrator/types.js";
import { makeStore, sq, testOptions, useStore, waitFor } from "./helpers.js";

const fixtures = join(import.meta.dirname, "fixtures");
const ctx = useStore();

function hangingRun(leaseMs: number) {
  return new OrchestratorBuilder()
    .withTaskStore(ctx.store)
    .withExecutor(
      createExecutor(
        testOptions({
          executor: "command",
          executorCommand: `sh ${sq(join(fixtures, "tree.sh"))} ${sq(ctx.dir.path)}`,
        }),
      ),
    )
    .withLoopSettings({ leaseMs, heartbeatMs: 50 })
    .build();
}

describe("leases while executing", () => {
  it("a long execution renews its lease: after the first lease would have run out, no one else can claim the task", async () => {
    const { task } = await ctx.store.create({ description: "Long job" });
    const handle = await hangingRun(600).start();
    await waitFor(() => existsSync(ctx.dir.file(`pids-${task.id}-1`)), { what: "the execution to start" });
    const first = (await ctx.store.get(task.id)).lease_expires_at as string;

    // Wait past the first lease's end (the run has renewed it meanwhile).
    await waitFor(() => Date.now() > Date.parse(first) + 200, { what: "the first lease to pass" });
    const other = makeStore(ctx.dir);
    try {
      expect(await other.claimNext({ workerId: "intruder", leaseMs: 60_000 })).toBeNull();
      const now = await other.get(task.id);
      expect(now).toMatchObject({ status: "in_progress", claimed_by: handle.workerId, attempts: 1 });
      expect(Date.parse(now.lease_expires_at as string)).toBeGreaterThan(Date.parse(first));
    } finally {
      await other.close();
    }
    handle.cancel();
    expect((await handle.done).status).toBe("cancelled");
  });

  it("a task taken away mid-execution is left alone: its execution is stopped and the run goes on", async () => {
    const { task } = await ctx.store.create({ description: "Long job" });
    const events: RunProgress[] = [];
    const handle = await hangingRun(300).start({ onProgress: (e) => events.push(e) });
    await waitFor(() => existsSync(ctx.dir.file(`pids-${task.id}-1`)), { what: "the execution to start" });

    await ctx.store.resetAll(); // a person puts everything back to pending

    const lost = await waitFor(() => events.find((e) => e.kind === "lost"), { what: "the run to notice" });
    expect(lost.message).toMatch(
      /^task-001 attempt 1: the task changed hands while it executed \(task-001 is pending/,
    );
    // The run goes on: the task is pending again, so it takes it anew.
    await waitFor(() => events.filter((e) => e.kind === "claimed").length === 2, { what: "the next claim" });
    handle.cancel();
    const final = await handle.done;
    expect(final.status).toBe("cancelled");
    expect(await ctx.store.get(task.id)).toMatchObject({ status: "pending", claimed_by: null });
  });
});
