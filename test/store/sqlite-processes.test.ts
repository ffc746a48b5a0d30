/**
 * Several OS processes on one SQLite file: nothing acknowledged is lost, no task is claimed twice,
 * writers share the lock fairly, and a killed writer leaves a whole database behind.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteDatabase } from "../../src/store/sqlite/driver.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { tempDir } from "../helpers/tmp.js";

const WORKER = join(import.meta.dirname, "../fixtures/sqlite-worker.mjs");

interface Child {
  proc: ChildProcessWithoutNullStreams;
  lines: AsyncIterableIterator<string>;
}

function startChild(args: string[]): Child {
  const proc = spawn(process.execPath, [WORKER, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (d) => {
    stderr += d;
  });
  proc.on("exit", (code, signal) => {
    if (code !== 0 && signal === null) console.error(`worker ${args.join(" ")} exited ${code}: ${stderr}`);
  });
  return { proc, lines: createInterface({ input: proc.stdout })[Symbol.asyncIterator]() };
}

async function nextLine(child: Child): Promise<string> {
  const { value, done } = await child.lines.next();
  if (done) throw new Error("child ended without a line");
  return value;
}

/** Start children, wait until each has opened the store, then release them all at once. */
async function runTogether<T>(argsList: string[][]): Promise<T[]> {
  const children = argsList.map(startChild);
  for (const child of children) expect(await nextLine(child)).toBe("ready");
  for (const child of children) child.proc.stdin.end("go\n");
  const results = await Promise.all(children.map(async (c) => JSON.parse(await nextLine(c)) as T));
  await Promise.all(children.map((c) => (c.proc.exitCode === null ? once(c.proc, "exit") : null)));
  return results;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

describe("several processes on one SQLite file", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  beforeEach(async () => {
    tmp = tempDir();
    db = join(tmp.dir, "shared.db");
    await openSqliteStore({ path: db }).close(); // create the schema once, before the race
  });
  afterEach(() => tmp.remove());

  it("4 processes adding 1,000 tasks each: 4,000 stored, distinct ids, fair shares, p99 < 100 ms", async () => {
    const results = await runTogether<{ ids: string[]; latencies: number[]; ackTimes: number[] }>(
      [0, 1, 2, 3].map((i) => [db, "add", "1000", `p${i}`]),
    );
    const ids = results.flatMap((r) => r.ids);
    expect(ids).toHaveLength(4_000);
    expect(new Set(ids).size).toBe(4_000);

    const store = openSqliteStore({ path: db });
    try {
      expect((await store.stats()).total).toBe(4_000);
      const stored = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await store.list({ limit: 500, cursor });
        for (const t of page.tasks) stored.add(t.id);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      for (const id of ids) expect(stored.has(id)).toBe(true);
    } finally {
      await store.close();
    }

    // Fairness: when the first process is done, every other one has made real progress, and no
    // write waited long.
    const firstDone = Math.min(...results.map((r) => r.ackTimes.at(-1) ?? 0));
    for (const r of results) {
      const doneByThen = r.ackTimes.filter((t) => t <= firstDone).length;
      expect(doneByThen).toBeGreaterThanOrEqual(400);
      expect(percentile(r.latencies, 99)).toBeLessThan(100);
    }
  });

  it("4 processes claiming from 2,000 pending tasks: each task claimed exactly once", async () => {
    const store = openSqliteStore({ path: db });
    for (let i = 0; i < 4; i++) {
      await store.createBatch(Array.from({ length: 500 }, (_, j) => ({ description: `t${i}-${j}` })));
    }
    await store.close();
    const results = await runTogether<{ ids: string[] }>([0, 1, 2, 3].map((i) => [db, "claim", `w${i}`]));
    const ids = results.flatMap((r) => r.ids);
    expect(ids).toHaveLength(2_000);
    expect(new Set(ids).size).toBe(2_000);
    for (const r of results) expect(r.ids.length).toBeGreaterThan(100); // every worker got work
    const check = openSqliteStore({ path: db });
    try {
      expect(await check.stats()).toMatchObject({ completed: 2_000, in_progress: 0, pending: 0 });
      const t = await check.get(ids[0] as string);
      expect(t.attempts).toBe(1);
    } finally {
      await check.close();
    }
  });

  it("a writer killed with SIGKILL mid-burst loses no acknowledged write and leaves the file whole", async () => {
    const child = startChild([db, "add-forever", "victim"]);
    expect(await nextLine(child)).toBe("ready");
    child.proc.stdin.end("go\n");
    const acknowledged: string[] = [];
    while (acknowledged.length < 500) acknowledged.push(await nextLine(child));
    child.proc.kill("SIGKILL");
    // Lines already written to the pipe before the kill are acknowledged writes too.
    for await (const line of child.lines) acknowledged.push(line);
    await (child.proc.exitCode === null && child.proc.signalCode === null ? once(child.proc, "exit") : null);
    expect(child.proc.signalCode).toBe("SIGKILL");

    const raw = openSqliteDatabase(db);
    expect(raw.pragma("integrity_check", { simple: true })).toBe("ok");
    raw.close();
    const store = openSqliteStore({ path: db });
    try {
      const stats = await store.stats();
      expect(stats.total).toBeGreaterThanOrEqual(acknowledged.length);
      for (const id of acknowledged) expect((await store.get(id)).description).toMatch(/^victim #/);
      // The store still takes writes after the crash.
      expect((await store.create({ description: "after the crash" })).created).toBe(true);
    } finally {
      await store.close();
    }
  });
});
