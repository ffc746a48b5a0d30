/**
 * The board as an MCP App: show_board names its ui:// resource, the resource is the front end as
 * one HTML file with the MCP Apps MIME type, and rendered in Chromium inside a minimal host (an
 * iframe and the host side of the ext-apps postMessage protocol, forwarding tool calls to a real
 * MCP client) it lists the tasks and a button press becomes a tool call.
 */
import { Client } from "@modelcontextprotocol/client";
import { InMemoryTransport } from "@modelcontextprotocol/server";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../../src/mcp/server.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import type { TaskStore } from "../../src/store/types.js";
import { launchBrowser, screenshot } from "./helpers.js";

/** The host's side: answer ui/initialize, forward tools/call to the test (window.hostCallTool). */
const HOST_PAGE = `<!doctype html><html><body style="margin:0;background:#ddd">
<iframe id="app" sandbox="allow-scripts" style="width:1200px;height:900px;border:0;background:#fff"></iframe>
<script>
  const frame = document.getElementById("app");
  window.addEventListener("message", async (event) => {
    if (event.source !== frame.contentWindow) return;
    const msg = event.data;
    if (!msg || msg.jsonrpc !== "2.0" || msg.id === undefined || !msg.method) return;
    const reply = (body) => frame.contentWindow.postMessage({ jsonrpc: "2.0", id: msg.id, ...body }, "*");
    if (msg.method === "ui/initialize") {
      reply({ result: {
        protocolVersion: msg.params.protocolVersion,
        hostInfo: { name: "test-host", version: "1.0.0" },
        hostCapabilities: { serverTools: {} },
        hostContext: { theme: "light" },
      } });
    } else if (msg.method === "tools/call") {
      try { reply({ result: await window.hostCallTool(msg.params) }); }
      catch (e) { reply({ error: { code: -32603, message: String(e) } }); }
    } else {
      reply({ error: { code: -32601, message: "not offered by this host: " + msg.method } });
    }
  });
</script></body></html>`;

let browser: Browser;
let store: TaskStore;
let client: Client;

beforeAll(async () => {
  store = openSqliteStore({ path: ":memory:" });
  const server = createServer({ store, era: "legacy" });
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  client = new Client({ name: "app-host", version: "1.0.0" });
  await client.connect(clientSide);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await client?.close();
  await store?.close();
});

describe("show_board, the MCP App", () => {
  it("offers show_board with its ui:// resource, the HTML with the MCP Apps MIME type, and a text summary", async () => {
    await store.create({ description: "Visible in the chat" });
    const { tools } = await client.listTools();
    const tool = tools.find((t) => t.name === "show_board");
    const uri = (tool?._meta as { ui?: { resourceUri?: string } } | undefined)?.ui?.resourceUri;
    expect(uri).toBe("ui://ralph/board.html");
    const read = await client.readResource({ uri: uri as string });
    const [content] = read.contents;
    expect(content?.mimeType).toBe("text/html;profile=mcp-app");
    const html = (content as { text: string }).text;
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('data-mode="app"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // self-contained: nothing to fetch

    const reply = await client.callTool({ name: "show_board", arguments: {} });
    const text = (reply.content as Array<{ text: string }>)[0]?.text ?? "";
    expect(text).toMatch(/^Board: 1 tasks — 1 pending/);
    expect((reply.structuredContent as { board: { columns: unknown[] } }).board.columns).toHaveLength(4);
  });

  it("rendered in a host, lists the tasks, and a button press becomes a tool call", async () => {
    const broken = (await store.create({ description: "Broke in the night" })).task;
    await store.fail(broken.id, "segfault");
    const { contents } = await client.readResource({ uri: "ui://ralph/board.html" });
    const html = (contents[0] as { text: string }).text;

    const calls: string[] = [];
    const page = await browser.newPage({ viewport: { width: 1220, height: 920 } });
    await page.exposeFunction(
      "hostCallTool",
      async (params: { name: string; arguments?: Record<string, unknown> }) => {
        calls.push(params.name);
        return client.callTool({ name: params.name, arguments: params.arguments ?? {} });
      },
    );
    await page.setContent(HOST_PAGE);
    await page.locator("#app").evaluate((frame, doc) => {
      (frame as unknown as { srcdoc: string }).srcdoc = doc;
    }, html);
    const app = page.frameLocator("#app");
    await app.locator('[data-task="task-001"]').waitFor();
    await app.locator(`[data-column="failed"] [data-task="${broken.id}"]`).waitFor();
    expect(calls).toContain("show_board");
    await screenshot(page, "mcp-app-in-host");

    await app.locator(`[data-task="${broken.id}"] [data-action="retry"]`).click();
    await app.locator(".dialog textarea").fill("Try with the debugger attached");
    await app.locator('.dialog [data-action="confirm"]').click();
    await app.locator(`[data-column="pending"] [data-task="${broken.id}"]`).waitFor();
    expect(calls).toContain("retry_task");
    const retried = await store.get(broken.id);
    expect(retried.status).toBe("pending");
    expect(retried.feedback.at(-1)?.text).toBe("Try with the debugger attached");
    await page.close();
  });
});
