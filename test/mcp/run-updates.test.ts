/**
 * Updates of task://runs/{id} from the run registry, in process: RunUpdates keeps to the run URIs
 * a connection watches, and forwardRunsToNotifier (for an HTTP entry's listen bus) announces every
 * change of this process's runs until it is stopped.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { forwardRunsToNotifier, RunUpdates } from "../../src/mcp/run-updates.js";
import { RunRegistry } from "../../src/orchestrator/registry.js";
import type { SqliteTaskStore } from "../../src/store/sqlite/store.js";
import { makeDir, makeStore, sq, type TestDir, testOptions, waitFor } from "../orchestrator/helpers.js";

const GATE = join(import.meta.dirname, "fixtures/gate.mjs");
let dir: TestDir;
let store: SqliteTaskStore;
let runs: RunRegistry;

beforeEach(() => {
  dir = makeDir();
  store = makeStore(dir);
  runs = new RunRegistry({
    store,
    options: testOptions({
      executor: "command",
      executorCommand: `${sq(process.execPath)} ${sq(GATE)} ${sq(dir.path)}`,
    }),
    watchPollMs: 20,
  });
});
afterEach(async () => {
  await runs.close();
  await store.close();
  dir.cleanup();
});

describe("run updates", () => {
  it("RunUpdates sends updates only for the run URIs it is told are watched", async () => {
    const sent: string[] = [];
    const updates = new RunUpdates(runs, (uri) => sent.push(uri));
    expect(updates.accepts("task://runs/run-001")).toBe(true);
    expect(updates.accepts("task://runs/../etc")).toBe(false);
    expect(updates.accepts("task://tasks/task-001")).toBe(false);

    await store.createBatch([{ description: "one" }, { description: "two" }]);
    const handle = await runs.start({ maxTasks: 1 });
    updates.sync(new Set(["task://queue", "task://runs/run-002"]));
    await waitFor(() => handle.snapshot().current !== null, { what: "the run to start executing" });
    updates.sync(new Set(["task://queue", "task://runs/run-001"]));
    await waitFor(() => sent.length >= 2, { what: "heartbeat updates" });
    expect(new Set(sent)).toEqual(new Set(["task://runs/run-001"]));

    updates.sync(new Set());
    const mark = sent.length;
    const heartbeats = handle.snapshot().updated_at;
    await waitFor(() => handle.snapshot().updated_at !== heartbeats, { what: "another heartbeat" });
    writeFileSync(join(dir.path, "go"), "");
    await handle.done;
    expect(sent.length).toBe(mark);
    updates.close();
  });

  it("forwardRunsToNotifier announces every change of this process's runs, the end included, until stopped", async () => {
    const announced: string[] = [];
    const stop = forwardRunsToNotifier(runs, { resourceUpdated: (uri) => announced.push(uri) });
    await store.create({ description: "one" });
    const first = await runs.start();
    writeFileSync(join(dir.path, "go"), "");
    const final = await first.done;
    expect(final.status).toBe("finished");
    expect(announced.length).toBeGreaterThanOrEqual(2);
    expect(new Set(announced)).toEqual(new Set(["task://runs/run-001"]));

    stop();
    const mark = announced.length;
    await (await runs.start()).done;
    expect(announced.length).toBe(mark);
  });
});
