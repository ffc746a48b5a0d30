/**
 * Real HTTP for the HTTP tests: the server on 127.0.0.1 with port 0, in this process
 * (startHttpServer) or as `ralph-mcp serve --http` (the built CLI), and real SDK clients of both
 * lines over Streamable HTTP. `raw()` sends a request by hand (node:http) when a test must set
 * headers a client would not (Host, Origin) or look at the status line.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as HttpTransportV2,
} from "@modelcontextprotocol/client";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as HttpTransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import type { TaskStore } from "../../src/store/types.js";
import { type HttpServerOptions, startHttpServer } from "../../src/transports/http.js";
import { assertBuilt, CLI, MODERN, serverEnv } from "../mcp/helpers.js";

export interface InProcessServer {
  url: string;
  port: number;
  store: TaskStore;
  close(): Promise<void>;
}

/** startHttpServer on 127.0.0.1:0 over a SQLite file (`db`) or an in-memory store. */
export async function serveInProcess(
  options: Partial<Omit<HttpServerOptions, "store">> & { db?: string } = {},
): Promise<InProcessServer> {
  const { db, ...rest } = options;
  const store = openSqliteStore({ path: db ?? ":memory:" });
  const running = await startHttpServer({ store, host: "127.0.0.1", port: 0, ...rest });
  return {
    url: running.url,
    port: running.port,
    store,
    close: async () => {
      await running.close();
      await store.close();
    },
  };
}

export interface ServerProcess {
  child: ChildProcess;
  /** Resolves with the URL the server printed once it listens; rejects if it exits first. */
  url: Promise<string>;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when a stderr line contains `text`. */
  waitForLog(text: string): Promise<void>;
}

/** `ralph-mcp serve --http --port 0 …` on `db`, logging at info so its URL can be read. */
export function spawnServer(
  db: string,
  args: string[] = [],
  env: Record<string, string> = {},
): ServerProcess {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0", ...args], {
    env: serverEnv(db, { RALPH_LOG_LEVEL: "info", ...env }),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const watchers: Array<{ text: string; resolve: () => void }> = [];
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    for (const w of watchers.splice(0)) {
      if (stderr.includes(w.text)) w.resolve();
      else watchers.push(w);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const waitForLog = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (stderr.includes(text)) resolve();
      else watchers.push({ text, resolve });
      void exited.then(() => reject(new Error(`server exited before logging "${text}":\n${stderr}`)));
    });
  const url = waitForLog("HTTP server listening").then(() => {
    const match = /"url":"([^"]+)"/.exec(stderr);
    if (!match?.[1]) throw new Error(`no URL in the server's log:\n${stderr}`);
    return match[1];
  });
  url.catch(() => {}); // a test that expects the server to refuse to start never asks for its URL
  return { child, url, stderr: () => stderr, exited, waitForLog };
}

/** A 2025-era client (SDK 1.x), as Claude Desktop's connectors speak: initialize, a session, a GET stream. */
export async function connectV1(url: string, name = "http-v1", headers: Record<string, string> = {}) {
  const client = new ClientV1({ name, version: "1.0.0" });
  const transport = new HttpTransportV1(new URL(url), { requestInit: { headers } });
  await client.connect(transport);
  return Object.assign(client, { http: transport });
}

/**
 * A v2 client: `modern` pins 2026-07-28 (per-request, no session); `legacy` is its default mode,
 * a 2025-era session like the 1.x client's.
 */
export async function connectV2(
  url: string,
  mode: "modern" | "legacy",
  name = `http-v2-${mode}`,
  headers: Record<string, string> = {},
) {
  const client = new ClientV2(
    { name, version: "1.0.0" },
    mode === "modern" ? { versionNegotiation: { mode: { pin: MODERN } } } : {},
  );
  const transport = new HttpTransportV2(new URL(url), { requestInit: { headers } });
  await client.connect(transport);
  return Object.assign(client, { http: transport });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): unknown;
}

/** One request by hand. Headers are sent as given (Host included); `body` is sent whole. */
export function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; path?: string } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: options.path ?? target.pathname,
        method: options.method ?? "POST",
        headers: options.headers ?? {},
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The headers a 2025-era client sends with a POST, plus `extra`. */
export function postHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { "content-type": "application/json", accept: "application/json, text/event-stream", ...extra };
}

export const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "by-hand", version: "1" } },
});

export interface Heard {
  method: string;
  uri?: string;
}

/** Notifications as they arrive, and a way to wait for one without sleeping. */
export class Inbox {
  readonly items: Heard[] = [];
  private waiters: Array<{ match: (h: Heard) => boolean; resolve: () => void }> = [];

  push(method: string, uri?: string): void {
    const item: Heard = uri === undefined ? { method } : { method, uri };
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(item)) return true;
      w.resolve();
      return false;
    });
  }

  /** The first notification from now on that matches; rejects after `ms`. */
  next(match: (h: Heard) => boolean, ms = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching notification within ${ms} ms`)), ms);
      this.waiters.push({
        match,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  uris(): string[] {
    return this.items.flatMap((i) => (i.uri === undefined ? [] : [i.uri]));
  }
}

export const updated = (uri: string) => (h: Heard) =>
  h.method === "notifications/resources/updated" && h.uri === uri;

/**
 * A POST whose body is streamed (chunked, no Content-Length) in `chunk`-sized pieces until the
 * server answers or `limit` bytes were sent; the answer's status, and how many bytes went out.
 */
export function rawStreamed(
  url: string,
  headers: Record<string, string>,
  chunk: Buffer,
  limit: number,
): Promise<{ status: number; sent: number; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpRequest(
      { host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers },
      (res) => {
        answered = true;
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, sent, body });
          req.destroy();
        });
      },
    );
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    const pump = () => {
      while (!answered && sent < limit) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}
