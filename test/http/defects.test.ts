/**
 * Issue 13 over HTTP, by hand where a client library would not send it: a Host header with
 * userinfo is refused at the door (defect 9), malformed JSON-RPC gets an error with its id
 * (defect 12), a `__proto__` argument is refused (defect 10), 2026-07-28 listen streams are
 * bounded without ending anyone else's, and a broken invariant ends `serve --http` through the
 * normal shutdown.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteDatabase } from "../../src/store/sqlite/driver.js";
import { MODERN, tempDb } from "../mcp/helpers.js";
import { connectV2, INITIALIZE, postHeaders, raw, serveInProcess, spawnServer } from "./helpers.js";

const fixtures = join(import.meta.dirname, "../fixtures");

describe("issue 13 over HTTP", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  async function server(options: Parameters<typeof serveInProcess>[0] = {}) {
    const s = await serveInProcess(options);
    cleanups.push(() => s.close());
    return s;
  }

  it("defect 9: a Host header with userinfo gets a 400 from the door, not a 500", async () => {
    const s = await server();
    for (const host of [
      `evil.example@127.0.0.1:${s.port}`,
      `127.0.0.1:${s.port}/x`,
      `127.0.0.1 :${s.port}`,
    ]) {
      const res = await raw(s.url, { headers: postHeaders({ host }), body: INITIALIZE });
      expect(res.status, host).toBe(400);
      expect((res.json() as { error: { message: string } }).error.message).toMatch(/Host header/);
    }
    const fine = await raw(s.url, {
      headers: postHeaders({ host: `localhost:${s.port}` }),
      body: INITIALIZE,
    });
    expect(fine.status).toBe(200);
  });

  it("defect 12: malformed JSON-RPC gets an error naming the id, in both eras", async () => {
    const s = await server();
    const modern = { "mcp-protocol-version": MODERN };
    for (const [body, headers] of [
      ['{"jsonrpc":"2.0","id":4,"method":"tools/list","params":"s"}', {}],
      ['{"jsonrpc":"2.0","id":4,"method":"tools/list","params":[1]}', modern],
      ['{"jsonrpc":"1.0","id":4,"method":"tools/list"}', modern],
    ] as const) {
      const res = await raw(s.url, { headers: postHeaders(headers), body });
      expect(res.status, body).toBe(400);
      expect(res.json()).toMatchObject({ id: 4, error: { code: -32600 } });
    }
  });

  it("defect 10: run_orchestrator refuses a __proto__ argument over HTTP", async () => {
    const s = await server();
    const body =
      '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"run_orchestrator","arguments":{"__proto__":{"x":1},"wait":false}}}';
    const res = await raw(s.url, { headers: postHeaders(), body });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ id: 5, error: { code: -32602 } });
    expect(res.body).toContain('\\"__proto__\\" is not an argument of run_orchestrator');
  });

  it("listen streams of the current revision are bounded: one over maxListens is refused, the open one lives on", async () => {
    const s = await server({ maxListens: 1 });
    const first = await connectV2(s.url, "modern", "first");
    cleanups.push(() => first.close());
    const second = await connectV2(s.url, "modern", "second");
    cleanups.push(() => second.close());
    const heard: string[] = [];
    first.setNotificationHandler("notifications/resources/updated", (n) => {
      heard.push(n.params.uri);
    });
    const listen = await first.listen({ resourceSubscriptions: ["task://queue"] });
    cleanups.push(() => listen.close());
    await expect(second.listen({ resourceSubscriptions: ["task://queue"] })).rejects.toThrow(
      /Too many open listen streams/,
    );
    await s.store.create({ description: "heard by the first" });
    const deadline = Date.now() + 5_000;
    while (!heard.includes("task://queue") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(heard).toContain("task://queue");
  });

  it("unhandledRejection: a broken invariant ends serve --http through the normal shutdown (exit 1)", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const proc = spawnServer(tmp.db, [], {
      NODE_OPTIONS: `--import ${join(fixtures, "reject-on-signal.mjs")}`,
    });
    cleanups.push(() => {
      proc.child.kill("SIGKILL");
    });
    await proc.url;
    proc.child.kill("SIGUSR2");
    expect(await proc.exited).toEqual({ code: 1, signal: null });
    expect(proc.stderr()).toContain("unhandled rejection");
    expect(proc.stderr()).toContain('"msg":"stopped"');
  });
});

describe("SQLite lock waits", () => {
  it("a busy store delays only the writes waiting for it: /healthz and reads answer meanwhile", async () => {
    const tmp = tempDb();
    const proc = spawnServer(tmp.db);
    const holder = openSqliteDatabase(tmp.db);
    try {
      const url = await proc.url;
      const base = new URL(url);
      const mcp = await connectV2(url, "legacy", "lock-waiter");
      // Another process takes the write lock and keeps it.
      holder.exec("BEGIN IMMEDIATE");
      let added = false;
      const adding = mcp
        .callTool({ name: "add_task", arguments: { description: "waits for the lock" } })
        .then((r) => {
          added = true;
          return r;
        });
      const health = await raw(`${base.origin}/healthz`, { method: "GET", path: "/healthz" });
      expect(health.status).toBe(200);
      const listed = (await mcp.callTool({ name: "list_tasks", arguments: {} })) as { isError?: boolean };
      expect(listed.isError).not.toBe(true);
      expect(added).toBe(false); // still waiting for the lock, and the server answered the rest
      holder.exec("ROLLBACK");
      const result = (await adding) as { content: Array<{ text: string }> };
      expect(result.content[0]?.text).toBe("Created task: task-001");
      await mcp.close();
    } finally {
      holder.close();
      proc.child.kill("SIGKILL");
      await proc.exited;
      tmp.cleanup();
    }
  });
});
