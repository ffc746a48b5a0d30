/**
 * The board's doors with RALPH_HTTP_TOKEN set, on `ralph-mcp serve --http` as its own process (so
 * its whole log can be read), in a real browser: closed until the person signs in with the token,
 * the data endpoints refuse without it, changes need the anti-forgery header, a foreign Origin is
 * refused, and the token is found in no URL, no page and no log line.
 */
import { randomBytes } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { raw, type ServerProcess, spawnServer } from "../http/helpers.js";
import { tempDb } from "../mcp/helpers.js";
import { cli, launchBrowser, screenshot } from "./helpers.js";

const TOKEN = randomBytes(24).toString("hex");

let browser: Browser;
let tmp: ReturnType<typeof tempDb>;
let server: ServerProcess;
let base: string;

beforeAll(async () => {
  tmp = tempDb();
  expect((await cli(tmp.db, ["add", "A secret plan"])).code).toBe(0);
  server = spawnServer(tmp.db, [], { RALPH_HTTP_TOKEN: TOKEN, RALPH_LOG_LEVEL: "debug" });
  base = (await server.url).replace(/\/mcp$/, "");
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  server?.child.kill("SIGTERM");
  await server?.exited;
  tmp?.cleanup();
});

describe("the board with a token", () => {
  it("is closed until the token is given, then shows the board; the token lands in no URL, page or log", async () => {
    const page = await browser.newPage();
    const first = await page.goto(`${base}/`);
    expect(first?.status()).toBe(401);
    await page.waitForSelector('form[action="/login"] input[type="password"]');
    expect(await page.locator("[data-column]").count()).toBe(0);
    expect(await page.content()).not.toContain("A secret plan");
    await screenshot(page, "sign-in");

    // The data endpoints, asked from the page itself (its origin, no session yet).
    const statuses = await page.evaluate(async () => {
      const get = (path: string) => fetch(path).then((r) => r.status);
      return [await get("/api/board"), await get("/api/tasks/task-001"), await get("/api/events")];
    });
    expect(statuses).toEqual([401, 401, 401]);

    await page.fill('input[name="token"]', "not-the-token");
    await page.click('button[type="submit"]');
    await page.waitForSelector(".signin-card .error");

    await page.fill('input[name="token"]', TOKEN);
    await page.click('button[type="submit"]');
    await page.waitForSelector('[data-task="task-001"]');
    expect(page.url()).toBe(`${base}/`);
    expect(page.url()).not.toContain(TOKEN);
    expect(await page.content()).not.toContain(TOKEN);
    const [session] = await page.context().cookies();
    expect(session).toMatchObject({ name: "ralph_board", httpOnly: true, sameSite: "Strict" });
    expect(session?.value).not.toContain(TOKEN);
    expect(await page.evaluate("document.cookie")).toBe("");

    // Signed in, a change still needs the header a cross-site form or script cannot send.
    const forged = await page.evaluate(() =>
      fetch("/api/tasks", {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({ description: "forged" }),
      }).then((r) => r.status),
    );
    expect(forged).toBe(403);
    await page.click('[data-action="add"]');
    await page.fill(".dialog textarea", "Added after signing in");
    await page.click('.dialog [data-action="confirm"]');
    await page.waitForSelector('[data-task="task-002"]');

    // A foreign Origin is refused even with the session cookie; a script may use the bearer token.
    const cookie = `${session?.name}=${session?.value}`;
    const url = `${base}/api/board`;
    const foreign = await raw(url, { method: "GET", headers: { origin: "https://evil.example", cookie } });
    expect(foreign.status).toBe(403);
    const foreignPost = await raw(`${base}/api/tasks/task-001/fail`, {
      headers: {
        origin: "https://evil.example",
        cookie,
        "content-type": "application/json",
        "x-ralph-dashboard": "1",
      },
      body: "{}",
    });
    expect(foreignPost.status).toBe(403);
    expect((await raw(url, { method: "GET" })).status).toBe(401);
    expect((await raw(url, { method: "GET", headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
      200,
    );
    const store = openSqliteStore({ path: tmp.db });
    expect((await store.get("task-001")).status).toBe("pending");
    await store.close();

    // Sign-out ends the session and its live stream: the open page goes back to the sign-in form.
    await page.evaluate(() => fetch("/logout", { method: "POST" }).then((r) => r.status));
    expect((await raw(url, { method: "GET", headers: { cookie } })).status).toBe(401);
    await page.waitForSelector('form[action="/login"]', { timeout: 10_000 });

    await page.close();
    expect(server.stderr()).toContain("dashboard action");
    expect(server.stderr()).not.toContain(TOKEN);
  });
});
