/**
 * Several OS processes ("servers") on one PostgreSQL database: nothing acknowledged is lost, no task
 * is claimed twice, a change made through one server reaches a subscriber on another within a
 * second, and a worker killed while holding a claim gives the task back when its lease ends.
 * The children run the built store (dist/); `npm test` builds first.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Task } from "../../src/domain/task.js";
import { openPostgresStore, type PostgresTaskStore } from "../../src/store/postgres/store.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";

const WORKER = join(import.meta.dirname, "../fixtures/postgres-worker.mjs");

interface Child {
  proc: ChildProcessWithoutNullStreams;
  lines: AsyncIterableIterator<string>;
}

const children: Child[] = [];

function startChild(url: string, schema: string, args: string[]): Child {
  const proc = spawn(process.execPath, [WORKER, url, schema, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (d) => {
    stderr += d;
  });
  proc.on("exit", (code, signal) => {
    if (code !== 0 && signal === null) console.error(`worker ${args.join(" ")} exited ${code}: ${stderr}`);
  });
  const child = { proc, lines: createInterface({ input: proc.stdout })[Symbol.asyncIterator]() };
  children.push(child);
  return child;
}

async function nextLine(child: Child): Promise<string> {
  const { value, done } = await child.lines.next();
  if (done) throw new Error("child ended without a line");
  return value;
}

const exited = (child: Child) =>
  child.proc.exitCode === null && child.proc.signalCode === null ? once(child.proc, "exit") : null;

/** Start children, wait until each has opened the store, then release them all at once. */
async function runTogether<T>(url: string, schema: string, argsList: string[][]): Promise<T[]> {
  const started = argsList.map((args) => startChild(url, schema, args));
  for (const child of started) expect(await nextLine(child)).toBe("ready");
  for (const child of started) child.proc.stdin.end("go\n");
  const results = await Promise.all(started.map(async (c) => JSON.parse(await nextLine(c)) as T));
  await Promise.all(started.map(exited));
  return results;
}

const available = await postgresAvailable();

describe.runIf(available)("several processes on one PostgreSQL database", () => {
  let database: TestDatabase;
  let schema: string;
  let store: PostgresTaskStore;

  beforeAll(async () => {
    database = await createTestDatabase("processes");
  });
  afterAll(async () => {
    await database?.drop();
  });
  beforeEach(async () => {
    schema = database.newSchema();
    store = await openPostgresStore({ connectionString: database.url, schema }); // schema made before the race
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill("SIGKILL");
      await exited(child);
    }
    await store.close();
  });

  it("8 processes adding 500 tasks each at once: 4,000 stored, distinct ids, none lost", async () => {
    const results = await runTogether<{ ids: string[] }>(
      database.url,
      schema,
      Array.from({ length: 8 }, (_, i) => ["add", "500", `p${i}`]),
    );
    const ids = results.flatMap((r) => r.ids);
    expect(ids).toHaveLength(4_000);
    expect(new Set(ids).size).toBe(4_000);
    expect((await store.stats()).total).toBe(4_000);
    const stored = new Map<string, Task>();
    let cursor: string | undefined;
    do {
      const page = await store.list({ limit: 500, cursor });
      for (const t of page.tasks) stored.set(t.id, t);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    for (const [p, r] of results.entries()) {
      for (const [i, id] of r.ids.entries()) expect(stored.get(id)?.description).toBe(`p${p} #${i}`);
    }
  }, 120_000);

  it("8 processes claiming from 4,000 pending tasks: each task claimed exactly once", async () => {
    for (let i = 0; i < 8; i++) {
      await store.createBatch(Array.from({ length: 500 }, (_, j) => ({ description: `t${i}-${j}` })));
    }
    const results = await runTogether<{ ids: string[] }>(
      database.url,
      schema,
      Array.from({ length: 8 }, (_, i) => ["claim", `w${i}`]),
    );
    const ids = results.flatMap((r) => r.ids);
    expect(ids).toHaveLength(4_000);
    expect(new Set(ids).size).toBe(4_000);
    for (const r of results) expect(r.ids.length).toBeGreaterThan(0); // every worker got work
    expect(await store.stats()).toMatchObject({ total: 4_000, completed: 4_000, in_progress: 0, pending: 0 });
    // Claimed once means started once: one attempt each.
    const rows = await database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${schema}.tasks WHERE attempts <> 1`,
    );
    expect(rows).toEqual([{ n: 0 }]);
  }, 120_000);

  it("a subscriber on one server hears of a change made through another within a second", async () => {
    const listener = startChild(database.url, schema, ["listen"]);
    const writer = startChild(database.url, schema, ["create", "from another server"]);
    expect(await nextLine(listener)).toBe("ready");
    expect(await nextLine(writer)).toBe("ready");
    listener.proc.stdin.write("go\n");
    writer.proc.stdin.end("go\n");
    const created = JSON.parse(await nextLine(writer)) as { id: string; at: number };
    const heard = JSON.parse(await nextLine(listener)) as {
      kind: string;
      taskIds: string[];
      remote: boolean;
      at: number;
    };
    expect(heard).toMatchObject({ kind: "created", taskIds: [created.id], remote: true });
    expect(heard.at - created.at).toBeLessThan(1_000);
  });

  it("a worker killed while holding a claim: after the lease, the task is claimed again", async () => {
    const { task } = await store.create({ description: "survives its worker" });
    const worker = startChild(database.url, schema, ["hold", "doomed-worker", "3000"]);
    expect(await nextLine(worker)).toBe("ready");
    worker.proc.stdin.end("go\n");
    expect(JSON.parse(await nextLine(worker))).toEqual({ id: task.id });
    worker.proc.kill("SIGKILL");
    await exited(worker);
    expect(worker.proc.signalCode).toBe("SIGKILL");

    // Held until the lease runs out: nobody else gets it meanwhile.
    expect(await store.claimNext({ workerId: "survivor" })).toBeNull();
    const retaken = await vi.waitFor(
      async () => {
        const t = await store.claimNext({ workerId: "survivor" });
        expect(t).not.toBeNull();
        return t as Task;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(retaken).toMatchObject({ id: task.id, attempts: 2, claimed_by: "survivor" });
    expect(retaken.feedback.at(-1)?.text).toMatch(/doomed-worker/);
    expect(Date.parse(retaken.started_at ?? "")).toBeGreaterThanOrEqual(Date.parse(task.created_at) + 3_000);
  });
});

describe.skipIf(available)("several processes on one PostgreSQL database (PostgreSQL not reachable)", () => {
  it("runs when PostgreSQL is reachable", () => {});
});
