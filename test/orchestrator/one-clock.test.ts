/**
 * Issue 13, "one clock for run staleness and leases": a run's heartbeat is judged on the store's
 * clock (PostgreSQL: the database's), the one it was written with, never on the local clock. Here
 * the store's clock runs ten minutes behind this machine's (skew between machines): a live run of
 * another process must not be reported, or marked, abandoned.
 */
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { RunRegistry } from "../../src/orchestrator/registry.js";
import { openSqliteStore, type SqliteTaskStore } from "../../src/store/sqlite/store.js";
import { makeDir, type TestDir, testOptions } from "./helpers.js";

const SKEW_MS = 10 * 60_000;
let dir: TestDir;
const stores: SqliteTaskStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  dir.cleanup();
});

it("a live run of another process is not judged abandoned by this machine's clock when the store's clock is behind", async () => {
  dir = makeDir();
  const skewed = { now: () => Date.now() - SKEW_MS };
  const theirs = openSqliteStore({ path: join(dir.path, "tasks.db"), clock: skewed });
  const ours = openSqliteStore({ path: join(dir.path, "tasks.db"), clock: skewed });
  stores.push(theirs, ours);
  const run = await theirs.runs.create({ max_tasks: 1, settings: {}, owner: "elsewhere:1" });
  const registry = new RunRegistry({ store: ours, options: testOptions({ staleRunMs: 5 * 60_000 }) });
  try {
    expect((await registry.get(run.id)).status).toBe("running");
    expect((await theirs.runs.get(run.id)).status).toBe("running");
  } finally {
    await registry.close();
  }
});
