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

  it("a run started by `ralph-mcp run` elsewhere shows its task and phase, then its stop reason", async () => {
    const task = (await store.create({ description: "Work for the agent" })).task;
    await openBoard();
    const run = startRun(tmp.db, ["--max-tasks", "1"], { RALPH_EXECUTOR_COMMAND: `node ${GATE} ${tmp.dir}` });
    try {
      await page.waitForSelector(".run-active .phase-executing", { timeout: 15_000 });
      expect(await page.textContent(".run-active .worker-task")).toBe(task.id);
      expect(await page.textContent(`${column("in_progress")} ${card(task.id)}`)).toContain(
        "Work for the agent",
      );
      await screenshot(page, "board-with-active-run");
      writeFileSync(join(tmp.dir, "go"), "");
      await page.waitForSelector("table.finished [data-run] .badge-finished", { timeout: 15_000 });
      expect(await page.textContent("table.finished [data-run]")).toMatch(/max_tasks|Processed|max/i);
      await page.waitForSelector(`${column("completed")} ${card(task.id)}`);
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
});
