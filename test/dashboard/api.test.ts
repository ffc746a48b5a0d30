/**
 * The dashboard's HTTP side without a browser: `ralph-mcp dashboard` as its own process (prints
 * its URL, serves the board and its API over the same store), errors that say what to do, and a
 * server taking OAuth tokens only keeping the board closed.
 */
import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { recentRuns } from "../../src/dashboard/snapshot.js";
import { openSqliteDatabase } from "../../src/store/sqlite/driver.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { serveInProcess } from "../http/helpers.js";
import { CLI, serverEnv, tempDb } from "../mcp/helpers.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("ralph-mcp dashboard", () => {
  it("prints its URL and serves the board and its API over the same store", async () => {
    const tmp = tempDb();
    cleanups.push(() => tmp.cleanup());
    const store = openSqliteStore({ path: tmp.db });
    cleanups.push(() => store.close());
    await store.create({ description: "Seen by the dashboard command" });
    const child = spawn(process.execPath, [CLI, "--db", tmp.db, "dashboard", "--port", "0"], {
      env: serverEnv(tmp.db),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    cleanups.push(async () => {
      child.kill("SIGTERM");
      await exited;
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        const match = /Ralph board: (http:\/\/\S+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      void exited.then((code) => reject(new Error(`dashboard exited (${code}) before printing its URL`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/assets/app.js">');
    const board = (await (await fetch(`${url}api/board`)).json()) as {
      columns: Array<{ cards: Array<{ id: string }> }>;
    };
    expect(board.columns[0]?.cards[0]?.id).toBe("task-001");

    const bad = await fetch(`${url}api/tasks?status=done`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(
      /pending, in_progress, completed or failed/,
    );
    const missing = await fetch(`${url}api/tasks/task-404`);
    expect(missing.status).toBe(404);
    const noHeader = await fetch(`${url}api/tasks`, { method: "POST", body: "{}" });
    expect(noHeader.status).toBe(403);
    const added = await fetch(`${url}api/tasks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-ralph-dashboard": "1" },
      body: JSON.stringify({ description: "From the API" }),
    });
    expect(await added.json()).toEqual({ ok: true, message: "Created task: task-002" });
    const empty = await fetch(`${url}api/tasks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-ralph-dashboard": "1" },
      body: "{}",
    });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { message: string }).message).toMatch(/"description" is required/);
    expect((await store.get("task-002")).description).toBe("From the API");
  });
});

describe("runs on the board", () => {
  it("shows a running run whose process stopped its heartbeat long ago as abandoned", async () => {
    const tmp = tempDb();
    cleanups.push(() => tmp.cleanup());
    const store = openSqliteStore({ path: tmp.db });
    cleanups.push(() => store.close());
    const live = await store.runs.create({ max_tasks: 1, settings: {}, owner: "here:1" });
    const dead = await store.runs.create({ max_tasks: 1, settings: {}, owner: "gone:2" });
    const db = openSqliteDatabase(tmp.db);
    const seq = Number(dead.id.slice("run-".length));
    db.prepare("UPDATE runs SET updated_at = ? WHERE seq = ?").run(
      new Date(Date.now() - 3_600_000).toISOString(),
      seq,
    );
    db.close();
    const runs = await recentRuns(store);
    expect(runs.find((r) => r.id === live.id)?.status).toBe("running");
    expect(runs.find((r) => r.id === dead.id)).toMatchObject({ status: "abandoned", stop_code: "abandoned" });
  });
});

describe("the board on a server that takes OAuth tokens only", () => {
  it("stays closed, and says to set RALPH_HTTP_TOKEN", async () => {
    const server = await serveInProcess({
      oauth: { issuer: "https://issuer.invalid", jwksUrl: "https://issuer.invalid/jwks" },
    });
    cleanups.push(() => server.close());
    const base = server.url.replace(/\/mcp$/, "");
    for (const path of ["/", "/api/board", "/api/events"]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(403);
      expect(((await response.json()) as { message: string }).message).toMatch(/RALPH_HTTP_TOKEN/);
    }
  });
});
