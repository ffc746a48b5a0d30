/** Runs kept in the SQLite store (migration 2): ids, updates, the end of a run, stale runs. */
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emptyRunStats } from "../../src/domain/run.js";
import { MIGRATIONS } from "../../src/store/sqlite/migrations.js";
import type { SqliteTaskStore } from "../../src/store/sqlite/store.js";
import { makeDir, makeStore, type TestDir, waitFor } from "./helpers.js";

let dir: TestDir;
let store: SqliteTaskStore;
beforeEach(() => {
  dir = makeDir();
  store = makeStore(dir);
});
afterEach(async () => {
  await store.close();
  dir.cleanup();
});

const newRun = { max_tasks: 10, settings: { executor: "command" }, owner: "host:42" };

describe("RunStore (SQLite)", () => {
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
    const other = makeStore(dir);
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

  it("runs whose heartbeat stopped are marked abandoned, live ones are not", async () => {
    const stale = await store.runs.create(newRun);
    await waitFor(() => Date.now() - Date.parse(stale.updated_at) > 20);
    const live = await store.runs.create(newRun);
    const abandoned = await store.runs.abandonStale(10);
    expect(abandoned.map((r) => r.id)).toEqual([stale.id]);
    expect(await store.runs.get(stale.id)).toMatchObject({ status: "abandoned", stop_code: "abandoned" });
    expect((await store.runs.get(live.id)).status).toBe("running");
  });

  it("a version-1 database is migrated to version 2 with its tasks intact", async () => {
    const path = dir.file("old.db");
    const db = new Database(path);
    db.exec((MIGRATIONS[0] as { sql: string }).sql);
    db.pragma("user_version = 1");
    db.prepare(
      "INSERT INTO tasks (description, priority, max_attempts, status, created_at, updated_at) VALUES ('old task', 5, 3, 'pending', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')",
    ).run();
    db.close();

    const migrated = makeStore(dir, "old.db");
    try {
      expect((await migrated.get("task-001")).description).toBe("old task");
      expect((await migrated.runs.create(newRun)).id).toBe("run-001");
    } finally {
      await migrated.close();
    }
    const check = new Database(path, { readonly: true });
    expect(check.pragma("user_version", { simple: true })).toBe(2);
    check.close();
  });
});
