/**
 * The dashboard, in headless Chromium (Debian's chromium through playwright-core):
 *
 * 1. Time to first render: from navigation to the board showing its cards and its live link,
 *    with 100 tasks in the store and with 100,000 (median of 5 loads each). Aim: ratio <= 1.5,
 *    and under 1 s.
 * 2. 50 open boards on one `ralph-mcp serve --http` (its own process): for each store change made
 *    by another process (this one), the server's CPU (from /proc, against the same changes with no
 *    board open) and the delay until all 50 pages show the new task (p50, p99). Aim: p99 < 1 s.
 *
 *   npm run build && npm run bench -- dashboard
 *   BENCH_CHANGES=40 npm run bench -- dashboard
 *   BENCH_DASHBOARD_PART=fanout npm run bench -- dashboard     # just part 2 (or "render")
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import type { NewTask } from "../src/domain/task.js";
import { packageRoot } from "../src/package-root.js";
import { openSqliteStore } from "../src/store/sqlite/store.js";
import type { TaskStore } from "../src/store/types.js";
import { startHttpServer } from "../src/transports/http.js";
import { heading, percentile, report, tempDir } from "./util.js";

const RALPH = fileURLToPath(new URL("../src/cli.js", import.meta.url));
const CHROMIUM = process.env.RALPH_TEST_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

async function fill(store: TaskStore, count: number): Promise<void> {
  for (let done = 0; done < count; done += 500) {
    const n = Math.min(500, count - done);
    const batch: NewTask[] = Array.from({ length: n }, (_, i) => ({
      description: `Benchmark task ${done + i + 1}: make the thing a little better than it was`,
      priority: 1 + ((done + i) % 10),
    }));
    const created = await store.createBatch(batch);
    // A third of them completed, a few failed: every column has cards.
    const ids = created.map((c) => c.task.id);
    await store.completeBatch(
      ids.filter((_, i) => i % 3 === 0),
      "done",
    );
    for (const id of ids.filter((_, i) => i % 3 === 1 && i % 17 === 1))
      await store.fail(id, "benchmark failure");
  }
}

async function firstRender(page: Page, url: string): Promise<number> {
  const t0 = performance.now();
  await page.goto(url, { waitUntil: "commit" });
  await page.waitForSelector('[data-link="live"]');
  await page.waitForSelector('[data-column="failed"] [data-task]');
  return performance.now() - t0;
}

async function renderBench(browser: Browser): Promise<void> {
  heading("Dashboard: time to first render (navigation → cards and live link shown), median of 5");
  const times: Record<number, number> = {};
  for (const size of [100, 100_000]) {
    const tmp = tempDir();
    const store = openSqliteStore({ path: join(tmp.dir, "tasks.db") });
    try {
      await fill(store, size);
      const server = await startHttpServer({ store, host: "127.0.0.1", port: 0 });
      const url = `http://127.0.0.1:${server.port}/`;
      const page = await browser.newPage();
      await firstRender(page, url); // warm-up: caches, JIT
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) samples.push(await firstRender(page, url));
      await page.close();
      await server.close();
      times[size] = percentile(samples, 50);
      report(`first render, ${size.toLocaleString("en-US")} tasks`, times[size], "ms", "aim < 1,000 ms");
    } finally {
      await store.close();
      tmp.remove();
    }
  }
  const ratio = (times[100_000] ?? 0) / Math.max(times[100] ?? 1, 1e-9);
  report("ratio 100,000 / 100 tasks", ratio, "x", "aim <= 1.5");
}

/** utime + stime of a process, in ms (Linux /proc). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

function spawnServer(db: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [RALPH, "--db", db, "serve", "--http", "--port", "0"], {
    env: { ...process.env, RALPH_LOG_LEVEL: "info", RALPH_HTTP_TOKEN: "" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let err = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      err += chunk;
      const match = /"url":"(http:\/\/[^"]+)\/mcp"/.exec(err);
      if (match?.[1]) resolve({ child, base: match[1] });
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
}

/** Resolves with Date.now() in the page once its task count shows `total`; rejects after 10 s. */
function seen(page: Page, total: number): Promise<number> {
  // A string, so this file needs no DOM types; it runs in the page.
  const script = `new Promise((resolve, reject) => {
    const count = () => Number((document.querySelector('[data-stat="tasks"] .stat-value')?.textContent ?? "0").replace(/[^0-9]/g, ""));
    if (count() >= ${total}) return resolve(Date.now());
    const timer = setTimeout(() => reject(new Error("the page did not show the change within 10 s")), 10000);
    const observer = new MutationObserver(() => {
      if (count() >= ${total}) { observer.disconnect(); clearTimeout(timer); resolve(Date.now()); }
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  })`;
  return page.evaluate(script) as Promise<number>;
}

async function fanOutBench(browser: Browser): Promise<void> {
  const pagesWanted = 50;
  const changes = Number(process.env.BENCH_CHANGES ?? 20);
  heading(`Dashboard: ${pagesWanted} open boards, ${changes} changes made by another process`);
  const tmp = tempDir();
  const db = join(tmp.dir, "tasks.db");
  const store = openSqliteStore({ path: db });
  const { child, base } = await spawnServer(db);
  try {
    await fill(store, 300);
    const pid = child.pid as number;
    const change = (i: number) => store.create({ description: `Change ${i}`, priority: 1 });

    // Baseline: the same changes with no board open (the MCP side's own work on each commit).
    let before = cpuMs(pid);
    for (let i = 0; i < changes; i++) {
      await change(i);
      await new Promise((r) => setTimeout(r, 100));
    }
    const idleCpu = (cpuMs(pid) - before) / changes;

    // One browser context per page, as 50 people would have: a browser keeps at most 6 HTTP/1.1
    // connections per host and profile, and each open board holds one (its event stream).
    const contexts: BrowserContext[] = [];
    const pages: Page[] = [];
    for (let i = 0; i < pagesWanted; i++) {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${base}/`);
      await page.waitForSelector('[data-link="live"]');
      pages.push(page);
    }
    const delays: number[] = [];
    before = cpuMs(pid);
    for (let i = 0; i < changes; i++) {
      const t0 = Date.now();
      await change(changes + i);
      const total = (await store.stats()).total;
      const shown = await Promise.all(pages.map((p) => seen(p, total)));
      for (const t of shown) delays.push(t - t0);
    }
    const busyCpu = (cpuMs(pid) - before) / changes;
    report("server CPU per change, no board open", idleCpu, "ms", "baseline");
    report(`server CPU per change, ${pagesWanted} boards open`, busyCpu, "ms");
    report("ratio to baseline", busyCpu / Math.max(idleCpu, 1e-9), "x");
    report(`delay change → all ${pagesWanted} pages show it, p50`, percentile(delays, 50), "ms");
    report(
      `delay change → all ${pagesWanted} pages show it, p99`,
      percentile(delays, 99),
      "ms",
      "aim < 1,000 ms",
    );
    report("delay, max", Math.max(...delays), "ms");
    for (const context of contexts) await context.close();
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    await store.close();
    tmp.remove();
  }
}

export async function benchDashboard(): Promise<void> {
  if (!existsSync(join(packageRoot(), "dist", "web", "app.js"))) {
    throw new Error("The dashboard's front end is not built: run `npm run build` first.");
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  try {
    const part = process.env.BENCH_DASHBOARD_PART; // "render" or "fanout": just that one
    if (part !== "fanout") await renderBench(browser);
    if (part !== "render") await fanOutBench(browser);
  } finally {
    await browser.close();
  }
}
