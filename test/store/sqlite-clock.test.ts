/**
 * Time as a dependency: the SQLite store writes the times of its clock, so a lease of 15 minutes
 * expires when the clock passes it, without a test waiting for it.
 */
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { openSqliteStore, type SqliteTaskStore } from "../../src/store/sqlite/store.js";
import { DEFAULT_LEASE_MS } from "../../src/store/types.js";
import { tempDir } from "../helpers/tmp.js";

let tmp: ReturnType<typeof tempDir>;
let store: SqliteTaskStore;
let now = Date.parse("2030-01-01T00:00:00.000Z");

beforeEach(() => {
  tmp = tempDir();
  store = openSqliteStore({ path: join(tmp.dir, "tasks.db"), clock: { now: () => now } });
});
afterEach(async () => {
  await store.close();
  tmp.remove();
});

it("writes its clock's times, and a lease expires when its clock passes it", async () => {
  const { task } = await store.create({ description: "a" });
  expect(task.created_at).toBe("2030-01-01T00:00:00.000Z");
  const claimed = await store.claimNext({ workerId: "dead" });
  expect(claimed?.lease_expires_at).toBe(new Date(now + DEFAULT_LEASE_MS).toISOString());
  now += DEFAULT_LEASE_MS - 1;
  expect(await store.expireLeases()).toEqual([]);
  now += 1;
  // Nothing else is eligible, so the claim itself recovers the stalled task (src/domain/claim.ts).
  const taken = await store.claimNext({ workerId: "live" });
  expect(taken).toMatchObject({
    id: task.id,
    attempts: 2,
    claimed_by: "live",
    started_at: new Date(now).toISOString(),
  });
  expect(taken?.feedback.at(-1)?.text).toMatch(/lease held by dead expired/);
});

it("stamps runs with its clock, and a run whose heartbeat stopped is abandoned when the clock moves", async () => {
  const run = await store.runs.create({ max_tasks: 1, settings: {}, owner: "host:1" });
  expect(run.started_at).toBe(new Date(now).toISOString());
  expect(await store.runs.abandonStale(60_000)).toEqual([]);
  now += 60_001;
  const [abandoned] = await store.runs.abandonStale(60_000);
  expect(abandoned).toMatchObject({
    id: run.id,
    status: "abandoned",
    finished_at: new Date(now).toISOString(),
  });
});
