/**
 * The web board in a real browser (headless Chromium), on `serve --http`'s server in this process
 * over a SQLite file that other processes (the built CLI) share: what is in the store shows, a
 * change made elsewhere appears without a reload, runs of other processes show their task and
 * phase, and the page's actions change the store.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import type { TaskStore } from "../../src/store/types.js";
import { type RunningHttpServer, startHttpServer } from "../../src/transports/http.js";
import { tempDb } from "../mcp/helpers.js";
import { cli, launchBrowser, screenshot, startRun } from "./helpers.js";

const GATE = resolve(import.meta.dirname, "../mcp/fixtures/gate.mjs");

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

let tmp: ReturnType<typeof tempDb>;
let store: TaskStore;
let server: RunningHttpServer;
let page: Page;
let base: string;

beforeEach(async () => {
  tmp = tempDb();
  store = openSqliteStore({ path: tmp.db });
  server = await startHttpServer({ store, host: "127.0.0.1", port: 0 });
  base = `http://127.0.0.1:${server.port}`;
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
});
afterEach(async () => {
  await page?.close();
  await server?.close();
  await store?.close();
  tmp?.cleanup();
});

const card = (id: string) => `[data-task="${id}"]`;
const column = (status: string) => `[data-column="${status}"]`;

async function openBoard(): Promise<void> {
  await page.goto(`${base}/`);
  await page.waitForSelector('[data-link="live"]');
}

describe("the web board", () => {
  it("shows the tasks already in the store, by status, with counts and blocked tasks marked", async () => {
    const first = (await store.create({ description: "Write the README", priority: 2 })).task;
    const second = (await store.create({ description: "Publish the package", depends_on: [first.id] })).task;
    const done = (await store.create({ description: "Pick a name" })).task;
    await store.complete(done.id, "ralph-mcp");
    const broken = (await store.create({ description: "Port to Windows 95" })).task;
    await store.fail(broken.id, "No such platform any more");

    await openBoard();
    await page.waitForSelector(`${column("pending")} ${card(first.id)}`);
    expect(await page.textContent(`${column("pending")} ${card(second.id)}`)).toContain(
      `waits for ${first.id}`,
    );
    expect(await page.locator(`${card(second.id)} .badge-blocked`).count()).toBe(1);
    expect(await page.textContent(`${column("completed")} ${card(done.id)}`)).toContain("Pick a name");
    expect(await page.textContent(`${column("failed")} ${card(broken.id)}`)).toContain("No such platform");
    expect(await page.textContent(`${column("pending")} h2 .count`)).toBe("2");
    expect(await page.textContent('[data-stat="blocked"] .stat-value')).toBe("1");

    // A task's page: its whole story.
    await page.click(`${card(second.id)} .card-main`);
    await page.waitForSelector(`[data-detail="${second.id}"]`);
    const detail = await page.textContent(`[data-detail="${second.id}"]`);
    expect(detail).toContain("Publish the package");
    expect(detail).toContain(first.id);
  });

  it("the first view is read at once, without waiting for the event stream", async () => {
    await store.create({ description: "Shown before any event" });
    await page.route("**/api/events", (route) => route.abort());
    await page.goto(`${base}/`);
    expect(await page.textContent(`${column("pending")} ${card("task-001")}`)).toContain(
      "Shown before any event",
    );
  });

  it("a task added by another process (the CLI) appears within 2 s, without a reload", async () => {
    await store.create({ description: "Already here" });
    await openBoard();
    await page.waitForSelector(card("task-001"));
    await page.evaluate("window.notReloaded = true");
    const added = await cli(tmp.db, ["add", "Added from a terminal"]);
    expect(added.code, added.stderr).toBe(0);
    const t0 = Date.now();
    await page.waitForSelector(`${column("pending")} ${card("task-002")}`, { timeout: 2000 });
    const delay = Date.now() - t0;
    expect(delay).toBeLessThan(2000);
    expect(await page.textContent(card("task-002"))).toContain("Added from a terminal");
    expect(await page.evaluate("window.notReloaded")).toBe(true);
  });

  it("seven tabs in one browser all stay live: they share one event stream (a browser has six connections per server)", async () => {
    await store.create({ description: "Seen by every tab" });
    const context = await browser.newContext();
    try {
      const tabs = [];
      for (let i = 0; i < 7; i++) {
        const tab = await context.newPage();
        await tab.goto(`${base}/`);
        await tab.waitForSelector(card("task-001"));
        tabs.push(tab);
      }
      await store.create({ description: "Added while seven tabs watch" });
      await Promise.all(tabs.map((tab) => tab.waitForSelector(card("task-002"), { timeout: 2000 })));
      // The tab holding the stream goes away; another takes it over.
      await tabs[0]?.close();
      await store.create({ description: "Added after the first tab closed" });
      await Promise.all(tabs.slice(1).map((tab) => tab.waitForSelector(card("task-003"), { timeout: 5000 })));
    } finally {
      await context.close();
    }
  });

  it("a run started by `ralph-mcp run --parallel 2` elsewhere shows its tasks and phase, then its stop reason", async () => {
    const first = (await store.create({ description: "Work for the agent" })).task;
    const second = (await store.create({ description: "More work for the agent" })).task;
    await openBoard();
    const run = startRun(tmp.db, ["--max-tasks", "2", "--parallel", "2"], {
      RALPH_EXECUTOR_COMMAND: `node ${GATE} ${tmp.dir}`,
    });
    try {
      await page.waitForSelector(".run-active .phase-executing", { timeout: 15_000 });
      await page.waitForFunction('document.querySelectorAll(".run-active .worker-task").length === 2', null, {
        timeout: 15_000,
      });
      const held = await page.locator(".run-active .worker-task").allTextContents();
      expect(held.sort()).toEqual([first.id, second.id]);
      expect(await page.textContent(`${column("in_progress")} ${card(first.id)}`)).toContain(
        "Work for the agent",
      );
      await screenshot(page, "board-with-active-run");
      writeFileSync(join(tmp.dir, "go"), "");
      await page.waitForSelector("table.finished [data-run] .badge-finished", { timeout: 15_000 });
      await page.waitForSelector(`${column("completed")} ${card(second.id)}`);
    } finally {
      writeFileSync(join(tmp.dir, "go"), "");
      expect(await run.exited).toBe(0);
    }
  });

  it("retry and fail from the page change the store, and the page shows it", async () => {
    const failed = (await store.create({ description: "Flaky test" })).task;
    await store.fail(failed.id, "timed out");
    const pending = (await store.create({ description: "Give up on this" })).task;
    await openBoard();

    await page.click(`${card(failed.id)} [data-action="retry"]`);
    await page.fill(".dialog textarea", "Run it with a longer timeout");
    await page.click('.dialog [data-action="confirm"]');
    await page.waitForSelector(`${column("pending")} ${card(failed.id)}`);
    const retried = await store.get(failed.id);
    expect(retried.status).toBe("pending");
    expect(retried.feedback.at(-1)).toMatchObject({ text: "Run it with a longer timeout", source: "user" });

    await page.click(`${card(pending.id)} [data-action="fail"]`);
    await page.fill(".dialog textarea", "Not worth it");
    await page.click('.dialog [data-action="confirm"]');
    await page.waitForSelector(`${column("failed")} ${card(pending.id)}`);
    expect(await store.get(pending.id)).toMatchObject({ status: "failed", failure_reason: "Not worth it" });
    expect(await page.textContent(".toast")).toContain(`Failed task: ${pending.id}`);
    // The picture over time: failed went 1 → 0 → 1 while the page watched.
    await page.waitForSelector(".chart-history polyline.line-b");
    expect(await page.textContent(".chart-history figcaption")).toMatch(/0 \/ 1$/);
  });

  it("delete from the page asks first, then removes the task from the store and the board", async () => {
    const doomed = (await store.create({ description: "Delete me" })).task;
    const held = (await store.create({ description: "Being worked on" })).task;
    await store.start(held.id, { workerId: "someone@elsewhere" });
    await openBoard();

    await page.click(`${card(doomed.id)} .card-main`);
    await page.click(`[data-detail="${doomed.id}"] [data-action="delete"]`);
    expect(await page.textContent(".dialog h3")).toContain("cannot be undone");
    await page.click(".dialog button:not([data-action])"); // "Keep it": nothing happens
    expect((await store.get(doomed.id)).status).toBe("pending");
    await page.click(`[data-detail="${doomed.id}"] [data-action="delete"]`);
    await page.click('.dialog [data-action="confirm"]');
    await page.waitForSelector(card(doomed.id), { state: "detached" });
    await expect(store.get(doomed.id)).rejects.toThrow(/task-001/);

    // One in progress: the dialog says so, and deleting it takes it from its worker.
    await page.click(`${card(held.id)} .card-main`);
    await page.click(`[data-detail="${held.id}"] [data-action="delete"]`);
    expect(await page.textContent(".dialog h3")).toContain("is in progress");
    await page.click('.dialog [data-action="confirm"]');
    await page.waitForSelector(card(held.id), { state: "detached" });
    await expect(store.get(held.id)).rejects.toThrow();
  });

  it("cancel from the page stops a run of another process", async () => {
    await store.create({ description: "A long job" });
    await openBoard();
    const run = startRun(tmp.db, ["--max-tasks", "1"], { RALPH_EXECUTOR_COMMAND: `node ${GATE} ${tmp.dir}` });
    try {
      await page.waitForSelector('.run-active [data-action="cancel-run"]', { timeout: 15_000 });
      await page.click('.run-active [data-action="cancel-run"]');
      await page.click('.dialog [data-action="confirm"]');
      await page.waitForSelector("table.finished [data-run] .badge-cancelled", { timeout: 15_000 });
      const [latest] = await store.runs.list({ limit: 1 });
      expect(latest?.status).toBe("cancelled");
      expect((await store.get("task-001")).status).toBe("pending");
    } finally {
      writeFileSync(join(tmp.dir, "go"), "");
      await run.exited;
    }
  });

  it("a full board, saved as a screenshot for people to look at", async () => {
    const plan = await store.createBatch([
      { description: "Design the schema for the billing tables", priority: 2, tags: ["db"] },
      { description: "Write the migration and its rollback", depends_on: ["#1"], tags: ["db"] },
      { description: "Add the invoice PDF renderer", priority: 3, tags: ["billing", "ui"] },
      { description: "Wire the Stripe webhook", priority: 1, depends_on: ["#2"] },
      { description: "Document the billing API", priority: 7, tags: ["docs"] },
      { description: "Load-test the invoice endpoint", priority: 4 },
      { description: "Translate the emails", priority: 8 },
    ]);
    const ids = plan.map((c) => c.task.id);
    await store.complete(ids[0] as string, "Schema in docs/billing.md");
    await store.fail(ids[6] as string, "No translator configured for fr-CA");
    await store.start(ids[2] as string, { workerId: "run-004@build-box:4242" });
    await store.start(ids[5] as string, { workerId: "run-003@build-box:4242" });
    await store.retry(ids[5] as string, "p99 was 2.3 s; aim is 500 ms", { source: "verifier" });
    for (const [completed, failed, cost] of [
      [4, 0, 0.42],
      [6, 1, 0.87],
      [3, 2, 1.25],
    ] as const) {
      const run = await store.runs.create({
        max_tasks: 10,
        settings: { executor: "anthropic", verifier: "anthropic", limits: { maxCostUsd: 5 } },
        owner: "build-box:4242",
      });
      await store.runs.update(run.id, {
        status: "finished",
        stop_code: "queue_empty",
        stop_reason: "No pending task is ready",
        stats: {
          processed: completed + failed,
          completed,
          failed,
          retried: 1,
          lost: 0,
          executions: completed + failed + 1,
          elapsed_seconds: 120,
          stop_reason: "No pending task is ready",
          tokens: { input: 52_000, output: 9_100 },
          cost_usd: cost,
        },
        finished_at: new Date().toISOString(),
      });
    }
    const live = await store.runs.create({
      max_tasks: 10,
      settings: { executor: "anthropic", verifier: "anthropic", limits: { maxCostUsd: 5 } },
      owner: "build-box:4242",
    });
    await store.runs.update(live.id, {
      current: {
        task_id: ids[2] as string,
        attempt: 1,
        phase: "verifying",
        since: new Date(Date.now() - 42_000).toISOString(),
      },
      stats: {
        processed: 2,
        completed: 1,
        failed: 0,
        retried: 1,
        lost: 0,
        executions: 3,
        elapsed_seconds: 200,
        stop_reason: null,
        tokens: { input: 31_500, output: 4_200 },
        cost_usd: 1.9,
      },
    });
    await openBoard();
    await page.waitForSelector(`[data-run="${live.id}"] .phase-verifying`);
    await page.waitForSelector(`${column("failed")} ${card(ids[6] as string)}`);
    await store.complete(ids[1] as string, "Migration 0042 with its rollback");
    await page.waitForSelector(`${column("completed")} ${card(ids[1] as string)}`);
    await page.waitForSelector(".chart-history polyline");
    const path = await screenshot(page, "board-full");
    expect(path).toMatch(/board-full\.png$/);
  });
});
