/**
 * How long 2025-era sessions live: a session with no request and no open stream for idleMs is
 * closed (its id answers 404 afterwards), one holding its notification stream open is kept; at
 * maxSessions a new one is refused with 503 and no other client's session is ended. Driven through LegacySessions directly, with fake timers for the idle clock.
 */
import { legacyStatelessFallback } from "@modelcontextprotocol/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChangeHub } from "../../src/mcp/changes.js";
import { createServer } from "../../src/mcp/server.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import type { TaskStore } from "../../src/store/types.js";
import { LegacySessions, type Routed } from "../../src/transports/legacy-sessions.js";
import { INITIALIZE, postHeaders } from "./helpers.js";

const IDLE_MS = 60_000;
const URL = "http://127.0.0.1/mcp";

describe("2025-era sessions over HTTP", () => {
  let store: TaskStore;
  let hub: ChangeHub;
  let sessions: LegacySessions;

  function start(maxSessions: number): LegacySessions {
    sessions = new LegacySessions({
      createServer: () => createServer({ store, era: "legacy", hub }),
      stateless: legacyStatelessFallback(({ era }) => createServer({ store, era })),
      idleMs: IDLE_MS,
      maxSessions,
      maxRequestBodySize: 1_000_000,
    });
    return sessions;
  }

  async function open(): Promise<{ id: string | null; status: number }> {
    const request = new Request(URL, { method: "POST", headers: postHeaders(), body: INITIALIZE });
    const { response } = await sessions.handle(request, JSON.parse(INITIALIZE));
    await response.text();
    return { id: response.headers.get("mcp-session-id"), status: response.status };
  }

  async function ping(id: string): Promise<number> {
    const message = { jsonrpc: "2.0", id: 9, method: "ping" };
    const request = new Request(URL, {
      method: "POST",
      headers: postHeaders({ "mcp-session-id": id, "mcp-protocol-version": "2025-06-18" }),
      body: JSON.stringify(message),
    });
    const { response, done } = await sessions.handle(request, message);
    await response.text();
    done?.();
    return response.status;
  }

  /** The session's notification stream (a GET), left open until `close` is called. */
  async function stream(id: string): Promise<Routed> {
    const request = new Request(URL, {
      method: "GET",
      headers: { accept: "text/event-stream", "mcp-session-id": id, "mcp-protocol-version": "2025-06-18" },
    });
    const routed = await sessions.handle(request, undefined);
    expect(routed.response.status).toBe(200);
    return routed;
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    store = openSqliteStore({ path: ":memory:" });
    hub = new ChangeHub(store);
  });
  afterEach(async () => {
    await sessions?.closeAll();
    hub.close();
    await store.close();
    vi.useRealTimers();
  });

  it("closes a session idle for idleMs, and keeps one whose stream is open", async () => {
    start(10);
    const idle = await open();
    const watching = await open();
    const held = await stream(watching.id as string);
    expect(sessions.size).toBe(2);

    vi.advanceTimersByTime(IDLE_MS / 2);
    expect(await ping(idle.id as string)).toBe(200); // a request resets the idle clock
    vi.advanceTimersByTime(IDLE_MS / 2 + 1_000);
    expect(sessions.size).toBe(2);

    vi.advanceTimersByTime(IDLE_MS);
    expect(await ping(idle.id as string)).toBe(404);
    expect(await ping(watching.id as string)).toBe(200);
    expect(sessions.size).toBe(1);

    await held.response.body?.cancel(); // the client went away
    held.done?.();
    vi.advanceTimersByTime(IDLE_MS + 60_000);
    expect(sessions.size).toBe(0);
  });

  it("only a session's own client ends it: at maxSessions a new session gets 503, and every idle one lives on", async () => {
    start(2);
    const first = await open();
    vi.advanceTimersByTime(1_000);
    const second = await open();
    vi.advanceTimersByTime(1_000);
    const refused = await open();
    expect(refused.status).toBe(503);
    expect(refused.id).toBeNull();
    expect(await ping(first.id as string)).toBe(200);
    expect(await ping(second.id as string)).toBe(200);
    expect(sessions.size).toBe(2);
  });
});
