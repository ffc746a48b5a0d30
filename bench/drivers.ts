/**
 * `npm run bench -- drivers` (issue 12): the SQLite store on both drivers side by side, in one run:
 * better-sqlite3 on Node 20 (the baseline) against the built-in node:sqlite on Node 22 (the
 * registry's Node in tools/conformance). Each side runs in its own process, in alternating rounds
 * (so machine load hits both alike); the figure is a side's median over the rounds.
 *
 * The two drivers cannot run on one Node here (better-sqlite3 is built for Node 20, and Node 20
 * has no node:sqlite), so a pure-JavaScript control (JSON round trips of task-sized objects) is
 * measured on both lines too: it shows how much of a difference is the runtime, not the driver.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openSqliteStore } from "../src/store/sqlite/store.js";
import { heading, opsPerSecond, report, tempDir } from "./util.js";

const ROUND_MS = Number(process.env.BENCH_MS ?? 2_000) / 2;
const ROUNDS = 3;
const NODE22 = resolve(import.meta.dirname, "../../tools/conformance/node_modules/node/bin/node");

type Figures = Record<string, number>;
const FIGURES: Array<[key: string, label: string, unit: string]> = [
  ["claimComplete", "claim+complete", "cycles/s"],
  ["add", "add, one per call", "tasks/s"],
  ["batchAdd", "batch add, 500 per call", "tasks/s"],
  ["open", "open a store + first read", "opens/s"],
  ["jsControl", "control, no SQLite: JSON of 100 tasks", "ops/s"],
];

/** In a child: one round of every figure on this process's Node and driver. */
async function child(dir: string): Promise<void> {
  const path = join(dir, `tasks-${process.pid}.db`);
  const store = openSqliteStore({ path });
  const driver = store.driver;
  let i = 0;
  const add = await opsPerSecond(ROUND_MS, () => store.create({ description: `add ${i++}` }));
  const batch = await opsPerSecond(ROUND_MS, () =>
    store.createBatch(Array.from({ length: 500 }, (_, j) => ({ description: `batch ${i}-${j}` }))),
  );
  for (let n = 0; n < 20; n++) {
    await store.createBatch(Array.from({ length: 500 }, (_, j) => ({ description: `fill ${n}-${j}` })));
  }
  const cycles = await opsPerSecond(ROUND_MS, async () => {
    const t = await store.claimNext({ workerId: "bench" });
    if (!t) throw new Error("queue ran dry");
    await store.complete(t.id, "ok", { workerId: "bench" });
  });
  await store.close();
  const opens = await opsPerSecond(ROUND_MS / 2, async () => {
    const s = openSqliteStore({ path });
    await s.stats();
    await s.close();
  });
  const sample = Array.from({ length: 100 }, (_, k) => ({
    id: `task-${k}`,
    description: "x".repeat(200),
    status: "pending",
    priority: 5,
    feedback: [{ source: "verifier", attempt: 1, text: "y".repeat(100) }],
  }));
  const js = await opsPerSecond(ROUND_MS / 2, () => JSON.parse(JSON.stringify(sample)));
  const figures: Figures = { claimComplete: cycles, add, batchAdd: batch * 500, open: opens, jsControl: js };
  process.stdout.write(`${JSON.stringify({ driver, node: process.versions.node, figures })}\n`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export async function benchDrivers(): Promise<void> {
  heading("SQLite drivers side by side (issue 12): better-sqlite3 on Node 20 vs node:sqlite on Node 22");
  if (!existsSync(NODE22)) {
    process.stdout.write(`  skipped: ${NODE22} is missing (npm run conformance:install)\n`);
    return;
  }
  const tmp = tempDir();
  const self = fileURLToPath(import.meta.url);
  const sides = [
    {
      label: "better-sqlite3/Node 20",
      node: process.execPath,
      driver: "better-sqlite3",
      runs: [] as Figures[],
    },
    { label: "node:sqlite/Node 22", node: NODE22, driver: "node", runs: [] as Figures[] },
  ];
  let versions = "";
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
        const out = spawnSync(side.node, [self, "--driver-child", tmp.dir], {
          encoding: "utf8",
          env: { ...process.env, RALPH_SQLITE_DRIVER: side.driver, RALPH_LOG_LEVEL: "warn" },
        });
        if (out.status !== 0) throw new Error(`${side.label} failed: ${out.stderr}`);
        const line = JSON.parse(out.stdout.trim().split("\n").at(-1) ?? "{}");
        if (line.driver !== side.driver) throw new Error(`${side.label} ran on ${line.driver}`);
        side.runs.push(line.figures);
        if (round === 0) versions += ` ${side.driver} on Node ${line.node};`;
      }
    }
  } finally {
    tmp.remove();
  }
  process.stdout.write(
    `  (${ROUNDS} alternating rounds of ${ROUND_MS} ms per figure;${versions} median shown)\n`,
  );
  const [base, built] = sides as [(typeof sides)[0], (typeof sides)[0]];
  for (const [key, label, unit] of FIGURES) {
    const b = median(base.runs.map((r) => r[key] ?? 0));
    const n = median(built.runs.map((r) => r[key] ?? 0));
    report(`${label}: ${base.label} (baseline)`, b, unit);
    report(`${label}: ${built.label}`, n, unit, `${(n / b).toFixed(2)} × baseline`);
  }
}

if (process.argv[2] === "--driver-child") {
  await child(process.argv[3] as string);
}
