/**
 * The doors, over real HTTP: strangers' Host and Origin get 403, a missing or wrong bearer token
 * 401, an oversized body 413, a public bind without a token is refused; the right token, an
 * allowed origin and an allowed host get in. Two clients (a 2025-era session with its GET stream
 * open, and a 2026-07-28 client) stay connected throughout and must keep being served, and the
 * session's subscription must keep delivering.
 */
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { startHttpServer } from "../../src/transports/http.js";
import { ok } from "../mcp/helpers.js";
import {
  connectV1,
  connectV2,
  INITIALIZE,
  Inbox,
  type InProcessServer,
  postHeaders,
  raw,
  rawStreamed,
  serveInProcess,
  updated,
} from "./helpers.js";

const TOKEN = "test-token-0123456789abcdef";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const MAX_BODY = 64 * 1024;

describe("the doors of the HTTP server", () => {
  let server: InProcessServer;
  let session: Awaited<ReturnType<typeof connectV1>>;
  let modern: Awaited<ReturnType<typeof connectV2>>;
  const inbox = new Inbox();
  let host: string;

  beforeAll(async () => {
    server = await serveInProcess({
      token: TOKEN,
      maxBodyBytes: MAX_BODY,
      allowedOrigins: ["https://app.example.com"],
      allowedHosts: ["mcp.example.com"],
    });
    host = `127.0.0.1:${server.port}`;
    session = await connectV1(server.url, "session", AUTH);
    session.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) =>
      inbox.push(n.method, n.params.uri),
    );
    await session.subscribeResource({ uri: "task://stats" });
    modern = await connectV2(server.url, "modern", "modern", AUTH);
  });
  afterAll(async () => {
    await session?.close();
    await modern?.close();
    await server?.close();
  });

  /** The connected clients are still served, and the session's subscription still delivers. */
  async function stillServing(): Promise<void> {
    const heard = inbox.next(updated("task://stats"));
    await ok(modern, "add_task", { description: "still here" });
    await heard;
    await ok(session, "list_tasks");
  }

  const initialize = (headers: Record<string, string>) =>
    raw(server.url, { headers: postHeaders(headers), body: INITIALIZE });

  it("lets the right token in, from a client and by hand", async () => {
    const reply = await initialize({ ...AUTH, host });
    expect(reply.status).toBe(200);
    expect(reply.headers["mcp-session-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect((await initialize({ authorization: `bearer ${TOKEN}`, host })).status).toBe(200);
    await stillServing();
  });

  it("answers 401 without a token or with a wrong one, and says what is needed", async () => {
    const none = await initialize({ host });
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toBe('Bearer realm="ralph-mcp"');
    expect(JSON.stringify(none.json())).toContain("Authorization: Bearer <token>");
    for (const authorization of [
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      "Bearer",
      TOKEN,
      `Basic ${TOKEN}`,
    ]) {
      expect((await initialize({ authorization, host })).status, authorization).toBe(401);
    }
    await expect(connectV1(server.url, "no-token")).rejects.toThrow();
    await expect(
      connectV2(server.url, "modern", "wrong", { authorization: "Bearer nope" }),
    ).rejects.toThrow();
    await stillServing();
  });

  it("answers 403 to a foreign Host, before asking for a token", async () => {
    for (const h of [
      "evil.example.com",
      `evil.example.com:${server.port}`,
      "127.0.0.2",
      "localhost.evil.com",
    ]) {
      const reply = await initialize({ ...AUTH, host: h });
      expect(reply.status, h).toBe(403);
      expect(JSON.stringify(reply.json())).toContain("Invalid Host");
    }
    expect((await initialize({ host: "evil.example.com" })).status).toBe(403);
    // Names this server answers to: loopback, and the one configured.
    for (const h of [`localhost:${server.port}`, "mcp.example.com", `mcp.example.com:${server.port}`]) {
      expect((await initialize({ ...AUTH, host: h })).status, h).toBe(200);
    }
    await stillServing();
  });

  it("answers 403 to a foreign Origin (a browser page elsewhere), and lets allowed origins in with CORS", async () => {
    for (const origin of [
      "http://evil.example.com",
      "https://app.example.com.evil.com",
      "null",
      "http://127.0.0.2:9",
    ]) {
      const reply = await initialize({ ...AUTH, host, origin });
      expect(reply.status, origin).toBe(403);
      expect(reply.headers["access-control-allow-origin"], origin).toBeUndefined();
    }
    for (const origin of ["https://app.example.com", `http://localhost:${server.port}`]) {
      const reply = await initialize({ ...AUTH, host, origin });
      expect(reply.status, origin).toBe(200);
      expect(reply.headers["access-control-allow-origin"]).toBe(origin);
      expect(reply.headers["access-control-expose-headers"]).toContain("mcp-session-id");
    }
    const preflight = await raw(server.url, {
      method: "OPTIONS",
      headers: { host, origin: "https://app.example.com", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-headers"]).toContain("authorization");
    expect(
      (await raw(server.url, { method: "OPTIONS", headers: { host, origin: "https://evil.com" } })).status,
    ).toBe(403);
    await stillServing();
  });

  it("answers 413 to a body over the limit, declared or streamed, and takes one just under it", async () => {
    const declared = await raw(server.url, {
      headers: postHeaders({ ...AUTH, host, "content-length": String(MAX_BODY + 1) }),
    });
    expect(declared.status).toBe(413);
    expect(JSON.stringify(declared.json())).toContain(`${MAX_BODY} bytes`);

    const streamed = await rawStreamed(
      server.url,
      postHeaders({ ...AUTH, host, "transfer-encoding": "chunked" }),
      Buffer.alloc(16 * 1024, "x"),
      64 * 1024 * 1024,
    );
    expect(streamed.status).toBe(413);
    // Refused while it was still coming: far less than the 64 MiB on offer went out.
    expect(streamed.sent).toBeLessThan(64 * 1024 * 1024);

    const padded = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: { experimental: { pad: { text: "y".repeat(MAX_BODY - 400) } } },
        clientInfo: { name: "padded", version: "1" },
      },
    });
    expect(Buffer.byteLength(padded)).toBeLessThan(MAX_BODY);
    expect((await raw(server.url, { headers: postHeaders({ ...AUTH, host }), body: padded })).status).toBe(
      200,
    );
    await stillServing();
  });

  it("serves /healthz without a token, 404 elsewhere, 415 for a body that is not JSON", async () => {
    const health = await raw(server.url, { method: "GET", path: "/healthz", headers: { host } });
    expect(health.status).toBe(200);
    expect(health.json()).toEqual({ status: "ok" });
    expect(
      (await raw(server.url, { method: "GET", path: "/healthz", headers: { host: "evil.com" } })).status,
    ).toBe(403);
    expect(
      (await raw(server.url, { method: "GET", path: "/elsewhere", headers: { ...AUTH, host } })).status,
    ).toBe(404);
    const text = await raw(server.url, {
      headers: { ...AUTH, host, "content-type": "text/plain", accept: "application/json, text/event-stream" },
      body: INITIALIZE,
    });
    expect(text.status).toBe(415);
    const broken = await raw(server.url, { headers: postHeaders({ ...AUTH, host }), body: "{not json" });
    expect(broken.status).toBe(400);
    await stillServing();
  });

  it("2025-era sessions: an unknown session is 404, a GET without one 400, a deleted one is gone", async () => {
    const unknown = await raw(server.url, {
      headers: postHeaders({ ...AUTH, host, "mcp-session-id": "no-such-session" }),
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }),
    });
    expect(unknown.status).toBe(404);
    expect(
      (await raw(server.url, { method: "GET", headers: { ...AUTH, host, accept: "text/event-stream" } }))
        .status,
    ).toBe(400);

    const doomed = await connectV1(server.url, "doomed", AUTH);
    const id = doomed.http.sessionId as string;
    await doomed.http.terminateSession();
    await doomed.close();
    const gone = await raw(server.url, {
      headers: postHeaders({ ...AUTH, host, "mcp-session-id": id }),
      body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "ping" }),
    });
    expect(gone.status).toBe(404);
    await stillServing();
  });
});

describe("binding", () => {
  it("refuses a non-loopback address without a token, and says how to set one", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    try {
      for (const host of ["0.0.0.0", "::", "192.0.2.1", "example.com"]) {
        await expect(startHttpServer({ store, host, port: 0 }), host).rejects.toThrow(
          /Refusing to listen on .* without a token.*RALPH_HTTP_TOKEN/,
        );
      }
      const running = await startHttpServer({ store, host: "0.0.0.0", port: 0, token: TOKEN });
      const reply = await raw(`http://127.0.0.1:${running.port}/mcp`, {
        headers: postHeaders({ ...AUTH, host: `127.0.0.1:${running.port}` }),
        body: INITIALIZE,
      });
      expect(reply.status).toBe(200);
      await running.close();
    } finally {
      await store.close();
    }
  });
});
