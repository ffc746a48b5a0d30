/**
 * The SQLite store in process (issue 2): add, batch add, claim+complete against a bare
 * better-sqlite3 loop of the same two statements in the same run; claim cost with 1,000 vs
 * 1,000,000 tasks; peak memory with 1,000,000 tasks stored (measured in a child process).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openSqliteDatabase } from "../src/store/sqlite/driver.js";
import { openSqliteStore, type SqliteTaskStore } from "../src/store/sqlite/store.js";
import { heading, opsPerSecond, report, tempDir } from "./util.js";

const DURATION_MS = Number(process.env.BENCH_MS ?? 2_000);

/** The same two statements the store's claim and complete boil down to, on a bare table. */
function bareCycle(
  path: string,
  synchronous: "NORMAL" | "FULL",
  tasks: number,
): { cycle(): void; close(): void } {
  const db = openSqliteDatabase(path);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${synchronous}`);
  db.exec(`CREATE TABLE tasks (seq INTEGER PRIMARY KEY AUTOINCREMENT, description TEXT NOT NULL,
    priority INTEGER NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, result TEXT,
    claimed_by TEXT, lease_expires_at TEXT, started_at TEXT, completed_at TEXT, updated_at TEXT);
    CREATE INDEX tasks_ready ON tasks (priority, seq) WHERE status = 'pending';`);
  const insert = db.prepare("INSERT INTO tasks (description, priority, status) VALUES (?, 5, 'pending')");
  db.exec("BEGIN");
  for (let i = 0; i < tasks; i++) insert.run(`task ${i}`);
  db.exec("COMMIT");
  const claim = db.prepare(
    `UPDATE tasks SET status = 'in_progress', attempts = attempts + 1, claimed_by = ?, lease_expires_at = ?,
       started_at = ?, updated_at = ?
     WHERE seq = (SELECT seq FROM tasks WHERE status = 'pending' ORDER BY priority, seq LIMIT 1) RETURNING seq`,
  );
  const complete = db.prepare(
    `UPDATE tasks SET status = 'completed', result = ?, completed_at = ?, updated_at = ?, claimed_by = NULL,
       lease_expires_at = NULL WHERE seq = ?`,
  );
  return {
    cycle() {
      const now = new Date().toISOString();
      const row = claim.get("bench", now, now, now) as { seq: number };
      complete.run("ok", now, now, row.seq);
    },
    close: () => db.close(),
  };
}

function bareLoop(path: string, synchronous: "NORMAL" | "FULL", tasks: number): number {
  const bare = bareCycle(path, synchronous, tasks);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < DURATION_MS && n < tasks) {
    bare.cycle();
    n++;
  }
  const rate = (n / (performance.now() - start)) * 1000;
  bare.close();
  return rate;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Bare loop and store alternating in short rounds, timed in CPU time (user + system, which
 * includes the WAL writes): on a shared machine wall-clock figures swing with other load, this
 * ratio does not.
 */
async function interleavedCpuRatio(dir: string): Promise<{ bare: number; store: number }> {
  const bare = bareCycle(join(dir, "interleaved-bare.db"), "NORMAL", 40_000);
  const store = openSqliteStore({ path: join(dir, "interleaved-store.db") });
  await fill(store, 40_000);
  let bareMs = 0;
  let storeMs = 0;
  for (let round = 0; round < 30; round++) {
    let t0 = cpuMs();
    for (let i = 0; i < 1_000; i++) bare.cycle();
    bareMs += cpuMs() - t0;
    t0 = cpuMs();
    for (let i = 0; i < 1_000; i++) await claimComplete(store);
    storeMs += cpuMs() - t0;
  }
  bare.close();
  await store.close();
  return { bare: 30_000 / (bareMs / 1000), store: 30_000 / (storeMs / 1000) };
}

async function fill(store: SqliteTaskStore, n: number): Promise<void> {
  for (let i = 0; i < n; i += 500) {
    await store.createBatch(
      Array.from({ length: Math.min(500, n - i) }, (_, j) => ({ description: `task ${i + j}` })),
    );
  }
}

async function claimComplete(store: SqliteTaskStore): Promise<void> {
  const t = await store.claimNext({ workerId: "bench" });
  if (!t) throw new Error("queue ran dry");
  await store.complete(t.id, "ok", { workerId: "bench" });
}

/** Mean microseconds per claim+complete over `n` cycles. */
async function claimCostUs(store: SqliteTaskStore, n: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await claimComplete(store);
  return ((performance.now() - start) * 1000) / n;
}

export async function benchSqliteStore(): Promise<void> {
  const tmp = tempDir();
  try {
    heading("SQLite store, in process (issue 2)");
    const bareNormal = bareLoop(join(tmp.dir, "bare-normal.db"), "NORMAL", 200_000);
    report("bare better-sqlite3 claim+complete, synchronous=NORMAL", bareNormal, "cycles/s");
    const bareFull = bareLoop(join(tmp.dir, "bare-full.db"), "FULL", 50_000);
    report("bare better-sqlite3 claim+complete, synchronous=FULL", bareFull, "cycles/s");

    const cpu = await interleavedCpuRatio(tmp.dir);
    report("bare claim+complete per CPU-second (interleaved)", cpu.bare, "cycles/s");
    report(
      "store claim+complete per CPU-second (interleaved)",
      cpu.store,
      "cycles/s",
      `${(cpu.store / cpu.bare).toFixed(2)} of bare, aim >= 0.5`,
    );

    for (const synchronous of ["normal", "full"] as const) {
      const store = openSqliteStore({ path: join(tmp.dir, `store-${synchronous}.db`), synchronous });
      let i = 0;
      const adds = await opsPerSecond(DURATION_MS, () => store.create({ description: `add ${i++}` }));
      report(`store add (one per call), synchronous=${synchronous}`, adds, "tasks/s");
      const batches = await opsPerSecond(DURATION_MS, () =>
        store.createBatch(Array.from({ length: 500 }, (_, j) => ({ description: `batch ${i}-${j}` }))),
      );
      report(`store batch add (500 per call), synchronous=${synchronous}`, batches * 500, "tasks/s");
      await fill(store, 200_000);
      const cycles = await opsPerSecond(DURATION_MS, () => claimComplete(store));
      const bare = synchronous === "normal" ? bareNormal : bareFull;
      report(
        `store claim+complete, synchronous=${synchronous}`,
        cycles,
        "cycles/s",
        `${(cycles / bare).toFixed(2)} of bare`,
      );
      // Several callers at once: their writes share transactions (group commit).
      const concurrent = await opsPerSecond(DURATION_MS, () =>
        Promise.all(Array.from({ length: 16 }, () => claimComplete(store))),
      );
      report(
        `store claim+complete, 16 concurrent callers, synchronous=${synchronous}`,
        concurrent * 16,
        "cycles/s",
        `${((concurrent * 16) / bare).toFixed(2)} of bare`,
      );
      await store.close();
    }

    // Claim cost at 1,000 vs 1,000,000 stored tasks.
    const small = openSqliteStore({ path: join(tmp.dir, "small.db") });
    await fill(small, 1_000 + 500);
    await claimCostUs(small, 200); // warm up
    const smallUs = await claimCostUs(small, 1_000);
    await small.close();
    const bigPath = join(tmp.dir, "big.db");
    const big = openSqliteStore({ path: bigPath });
    const fillStart = performance.now();
    await fill(big, 1_000_000);
    report(
      "filling 1,000,000 tasks through the store (batches of 500)",
      (1_000_000 / (performance.now() - fillStart)) * 1000,
      "tasks/s",
    );
    await claimCostUs(big, 200);
    const bigUs = await claimCostUs(big, 1_000);
    await big.close();
    report("claim+complete with 1,000 tasks stored", smallUs, "µs/cycle");
    report(
      "claim+complete with 1,000,000 tasks stored",
      bigUs,
      "µs/cycle",
      `ratio ${(bigUs / smallUs).toFixed(2)}, aim <= 1.5`,
    );

    // Peak memory: a fresh process opens the million-task file and does what a server does.
    const child = spawnSync(
      process.execPath,
      ["--expose-gc", fileURLToPath(import.meta.url), "--memory-child", bigPath],
      {
        encoding: "utf8",
      },
    );
    if (child.status !== 0) throw new Error(`memory child failed: ${child.stderr}`);
    const { maxRssMb, baselineMb } = JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}");
    report(
      "peak RSS of a process using a 1,000,000-task store",
      maxRssMb,
      "MB",
      `node alone ${baselineMb.toFixed(0)} MB; aim < 100`,
    );
  } finally {
    tmp.remove();
  }
}

/** In the child: open the big store, use it the way a server would, print peak RSS. */
async function memoryChild(path: string): Promise<void> {
  const baselineMb = process.memoryUsage().rss / 1e6;
  const store = openSqliteStore({ path });
  await store.stats();
  let cursor: string | undefined;
  for (let i = 0; i < 20; i++) {
    const page = await store.list({ limit: 500, cursor });
    cursor = page.nextCursor ?? undefined;
  }
  await store.list({ status: "pending", limit: 500 });
  for (let i = 0; i < 2_000; i++) await claimComplete(store);
  await store.createBatch(Array.from({ length: 500 }, (_, j) => ({ description: `late ${j}` })));
  await store.peekNext();
  await store.clearCompleted();
  await store.stats();
  await store.close();
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ maxRssMb, baselineMb })}\n`);
}

if (process.argv[2] === "--memory-child") {
  await memoryChild(process.argv[3] as string);
}
