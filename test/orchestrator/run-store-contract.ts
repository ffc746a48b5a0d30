/**
 * The RunStore contract: what every store's `runs` must do. SQLite runs it in run-store.test.ts; a
 * PostgreSQL store runs the same with its own `open` (two store objects on one database).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emptyRunStats } from "../../src/domain/run.js";
import type { TaskStore } from "../../src/store/types.js";
import { waitFor } from "./helpers.js";

export interface RunStoreFixture {
  /** A store on a fresh, empty database. */
  store: TaskStore;
  /** Another store object on the same database (as another process would have). */
  other(): Promise<TaskStore>;
  cleanup(): Promise<void>;
}

export function runStoreContract(name: string, open: () => Promise<RunStoreFixture>): void {
  describe(`RunStore contract (${name})`, () => {
    let fixture: RunStoreFixture;
    let store: TaskStore;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    const newRun = { max_tasks: 10, settings: { executor: "command" }, owner: "host:42" };

    it("run ids come from the store's sequence; the worker id carries the run id", async () => {
      const a = await store.runs.create(newRun);
      const b = await store.runs.create(newRun);
      expect(a).toMatchObject({
        id: "run-001",
        status: "running",
        worker_id: "run-001@host:42",
        max_tasks: 10,
        settings: { executor: "command" },
        stats: emptyRunStats(),
        current: null,
        cancel_requested: false,
        finished_at: null,
      });
      expect(b.id).toBe("run-002");
      expect((await store.runs.list()).map((r) => r.id)).toEqual(["run-002", "run-001"]);
    });

    it("a run is updated while it works and cannot change once it has ended", async () => {
      const run = await store.runs.create(newRun);
      const stats = { ...emptyRunStats(), completed: 2, processed: 2, executions: 2 };
      const current = {
        task_id: "task-003",
        attempt: 1,
        phase: "executing" as const,
        since: new Date().toISOString(),
      };
      expect(await store.runs.update(run.id, { stats, current })).toMatchObject({ stats, current });
      const ended = await store.runs.update(run.id, {
        status: "finished",
        stop_code: "queue_empty",
        stop_reason: "done",
        current: null,
        finished_at: new Date().toISOString(),
      });
      expect(await store.runs.get(run.id)).toEqual(ended);
      await expect(store.runs.update(run.id, { stats })).rejects.toThrow(
        "run-001 has already ended (finished)",
      );
      // A cancel request for an ended run changes nothing.
      expect(await store.runs.requestCancel(run.id)).toEqual(ended);
    });

    it("a cancel request is visible to every store object on the file", async () => {
      const run = await store.runs.create(newRun);
      const other = await fixture.other();
      try {
        await other.runs.requestCancel(run.id);
      } finally {
        await other.close();
      }
      expect((await store.runs.get(run.id)).cancel_requested).toBe(true);
      expect((await store.runs.update(run.id, {})).cancel_requested).toBe(true);
    });

    it("unknown and malformed run ids", async () => {
      await expect(store.runs.get("run-001")).rejects.toThrow(
        "No run run-001: no run has been started on this store yet.",
      );
      await store.runs.create(newRun);
      await expect(store.runs.get("run-9")).rejects.toThrow("No run run-9. Recent runs: run-001.");
      await expect(store.runs.get("task-001")).rejects.toMatchObject({ code: "not_found" });
    });

    it("now() is the store's clock, the one heartbeats are written with", async () => {
      const before = await store.runs.now();
      const run = await store.runs.create(newRun);
      const after = await store.runs.now();
      expect(Date.parse(run.updated_at)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(run.updated_at)).toBeLessThanOrEqual(after);
    });

    it("runs whose heartbeat stopped are marked abandoned, live ones are not", async () => {
      const stale = await store.runs.create(newRun);
      await waitFor(() => Date.now() - Date.parse(stale.updated_at) > 300);
      const live = await store.runs.create(newRun);
      // A cut-off halfway between the two heartbeats, however long the calls took on a loaded machine.
      const gap = Date.parse(live.updated_at) - Date.parse(stale.updated_at);
      const abandoned = await store.runs.abandonStale(Date.now() - Date.parse(live.updated_at) + gap / 2);
      expect(abandoned.map((r) => r.id)).toEqual([stale.id]);
      expect(await store.runs.get(stale.id)).toMatchObject({ status: "abandoned", stop_code: "abandoned" });
      expect((await store.runs.get(live.id)).status).toBe("running");
    });

    it("keeps each execution's output tail, replaced as it streams, readable by another process in start order", async () => {
      const run = await store.runs.create(newRun);
      await store.runs.saveOutput(run.id, {
        task_id: "task-002",
        attempt: 1,
        worker: 1,
        text: "one\n",
        dropped_bytes: 0,
      });
      await store.runs.saveOutput(run.id, {
        task_id: "task-001",
        attempt: 1,
        worker: 2,
        text: "a\n",
        dropped_bytes: 0,
      });
      await store.runs.saveOutput(run.id, {
        task_id: "task-002",
        attempt: 1,
        worker: 1,
        text: "one\ntwo\n",
        dropped_bytes: 7,
      });
      const other = await fixture.other();
      try {
        const outputs = await other.runs.outputs(run.id);
        expect(outputs.map((o) => [o.task_id, o.attempt, o.worker, o.text, o.dropped_bytes])).toEqual([
          ["task-002", 1, 1, "one\ntwo\n", 7],
          ["task-001", 1, 2, "a\n", 0],
        ]);
        expect(outputs[0]?.run_id).toBe(run.id);
        expect(Number.isNaN(Date.parse(outputs[0]?.updated_at ?? ""))).toBe(false);
      } finally {
        await other.close();
      }
      expect(await store.runs.outputs((await store.runs.create(newRun)).id)).toEqual([]);
      await expect(store.runs.outputs("run-999")).rejects.toThrow(/No run run-999/);
      await expect(
        store.runs.saveOutput("run-999", {
          task_id: "task-001",
          attempt: 1,
          worker: 1,
          text: "",
          dropped_bytes: 0,
        }),
      ).rejects.toThrow(/No run run-999/);
      await expect(
        store.runs.saveOutput(run.id, {
          task_id: "task-001",
          attempt: 1,
          worker: 1,
          text: "x".repeat(70_000),
          dropped_bytes: 0,
        }),
      ).rejects.toThrow(/at most 65536 bytes/);
    });
  });
}
