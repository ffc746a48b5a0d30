/**
 * `ralph-mcp serve` as a process: over HTTP, subscribers of both eras hear a change another
 * process makes on the same SQLite file; SIGTERM finishes the request in flight, ends the
 * sessions and exits 0; a public bind without a token exits non-zero saying how to set one;
 * `serve` without --http is the stdio server.
 */
import { execFile } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { promisify } from "node:util";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { CLI, ok, serverEnv, tempDb } from "../mcp/helpers.js";
import { connectV1, connectV2, Inbox, postHeaders, raw, spawnServer, updated } from "./helpers.js";

const run = promisify(execFile);

describe("ralph-mcp serve", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  it("--http: subscribers of both eras hear a task another process adds to the same SQLite file", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const server = spawnServer(tmp.db);
    cleanups.push(() => {
      server.child.kill("SIGKILL");
    });
    const url = await server.url;

    const legacy = await connectV1(url, "legacy-watcher");
    cleanups.push(() => legacy.close());
    const legacyInbox = new Inbox();
    legacy.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) =>
      legacyInbox.push(n.method, n.params.uri),
    );
    await legacy.subscribeResource({ uri: "task://queue" });

    const modern = await connectV2(url, "modern", "modern-watcher");
    cleanups.push(() => modern.close());
    const modernInbox = new Inbox();
    modern.setNotificationHandler("notifications/resources/updated", (n) =>
      modernInbox.push(n.method, n.params.uri),
    );
    const listen = await modern.listen({ resourceSubscriptions: ["task://tasks/task-001"] });
    cleanups.push(() => listen.close());

    const heardLegacy = legacyInbox.next(updated("task://queue"));
    const heardModern = modernInbox.next(updated("task://tasks/task-001"));
    const added = await run(process.execPath, [CLI, "add", "from", "another", "process"], {
      env: serverEnv(tmp.db),
    });
    expect(added.stdout).toContain("Created task: task-001");
    await Promise.all([heardLegacy, heardModern]);
    expect(await ok(legacy, "get_task", { task_id: "task-001" })).toMatchObject({
      task: { description: "from another process" },
    });
  });

  it("--http: SIGTERM finishes the request in flight, closes the sessions and exits 0", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const server = spawnServer(tmp.db);
    cleanups.push(() => {
      server.child.kill("SIGKILL");
    });
    const url = new URL(await server.url);

    // A 2025-era session with its notification stream open must not hold the process up.
    const session = await connectV1(url.href, "session");
    cleanups.push(() => session.close().catch(() => {}));
    await session.subscribeResource({ uri: "task://stats" });

    // A request the server has begun (it answered 100 Continue) but whose body is still to come.
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "add_task", arguments: { description: "in flight at SIGTERM" } },
    });
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: "POST",
      headers: postHeaders({ expect: "100-continue", "content-length": String(Buffer.byteLength(body)) }),
    });
    const answered = once(req, "response");
    await once(req, "continue");
    server.child.kill("SIGTERM");
    await server.waitForLog("stopping");
    req.end(body);
    const [res] = (await answered) as [import("node:http").IncomingMessage];
    let text = "";
    for await (const chunk of res) text += String(chunk);
    expect(res.statusCode).toBe(200);
    expect(text).toContain("Created task: task-001");

    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toContain('"msg":"stopped"');
    await expect(raw(url.href, { headers: postHeaders(), body })).rejects.toThrow(/ECONNREFUSED/);
    const store = openSqliteStore({ path: tmp.db });
    cleanups.push(() => store.close());
    expect((await store.get("task-001")).description).toBe("in flight at SIGTERM");
  });

  it("--http on a public address without RALPH_HTTP_TOKEN exits non-zero and says how to set one", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const server = spawnServer(tmp.db, ["--host", "0.0.0.0"], { RALPH_HTTP_TOKEN: "" });
    const { code } = await server.exited;
    expect(code).not.toBe(0);
    expect(server.stderr()).toContain("Refusing to listen on 0.0.0.0 without a token");
    expect(server.stderr()).toContain("RALPH_HTTP_TOKEN=");
    expect(existsSync(tmp.db)).toBe(false); // refused before the store was opened
  });

  it("without --http is the stdio server", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const client = new ClientV1({ name: "stdio", version: "1" });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [CLI, "serve"], env: serverEnv(tmp.db) }),
    );
    cleanups.push(() => client.close());
    expect(client.getServerVersion()?.name).toBe("ralph-workflow");
    expect((await ok(client, "add_task", { description: "over stdio" })).message).toBe(
      "Created task: task-001",
    );
  });
});
