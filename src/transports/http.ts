/**
 * The Streamable HTTP server: `ralph-mcp serve --http`. One endpoint, `/mcp`, serving both
 * protocol eras from the same createServer() factory as stdio, plus `/healthz`.
 *
 *   request ─▶ doors (Host, Origin → 403; bearer token → 401; body size → 413)
 *           ─▶ with OAuth (oauth/): the access token → 401, a call beyond its scope → 403
 *           ─▶ isLegacyRequest?
 *                yes: LegacySessions — one sessionful transport and server instance per
 *                     2025-era session, fed by the process's ChangeHub (subscriptions, progress)
 *                no:  createMcpHandler — one instance per 2026-07-28 request; queue changes go
 *                     out on its listen bus (forwardToNotifier), filtered by ListenRegistry
 *
 * One ChangeHub and one lease sweep per process. The hub also hears commits made by other
 * processes on the same store, so subscribers here learn of them too.
 *
 * Stopping (close()): stop accepting connections, answer 503 to new requests on open ones, wait
 * for the requests in flight (not the notification streams, which never end by themselves), then
 * close the sessions and the listen streams. The store belongs to the caller.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { hostname as machineName } from "node:os";
import { toWebRequest } from "@modelcontextprotocol/node";
import {
  type AuthInfo,
  createMcpHandler,
  isJsonContentType,
  isLegacyRequest,
  legacyStatelessFallback,
} from "@modelcontextprotocol/server";
import { Dashboard } from "../dashboard/index.js";
import { log } from "../log.js";
import { forwardRunsToNotifier } from "../mcp/run-updates.js";
import { createServer } from "../mcp/server.js";
import { forwardToNotifier } from "../mcp/subscriptions.js";
import type { ToolRegistrar } from "../mcp/tools/index.js";
import type { TaskStore } from "../store/types.js";
import {
  asHostname,
  assertBindable,
  Doors,
  defaultAllowedHosts,
  defaultAllowedOrigins,
} from "./http-doors.js";
import { corsHeaders, header, InFlight, listen, preflightHeaders, write } from "./http-io.js";
import { refuseBody, usableId } from "./jsonrpc-guard.js";
import { jsonRpcError, LegacySessions, type Routed } from "./legacy-sessions.js";
import { ListenRegistry, listenUris } from "./listen-registry.js";
import { type OAuthOptions, oauthFromEnv, resolveOAuth } from "./oauth/config.js";
import { OAuthGate } from "./oauth/gate.js";
import { ResourceServer } from "./oauth/resource-server.js";
import { requireScopesOnRegistration } from "./oauth/scopes.js";
import { ServerRuntime, serveProcess } from "./runtime.js";

export const MCP_PATH = "/mcp";
export const HEALTH_PATH = "/healthz";
export const DEFAULT_HTTP_HOST = "127.0.0.1";
export const DEFAULT_HTTP_PORT = 8787;
/** The SDK's own default: 4 MiB, room for a full 500-task batch of ordinary descriptions. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface HttpServerOptions {
  store: TaskStore;
  /** Address to bind (default 127.0.0.1). Anything but loopback needs `token`. */
  host?: string | undefined;
  /** TCP port (default 8787; 0 picks a free one, see RunningHttpServer.port). */
  port?: number | undefined;
  /** When set, every request to /mcp must carry `Authorization: Bearer <token>` (default: none). */
  token?: string | undefined;
  /** Host names accepted besides loopback and the bound address (a proxy's public name). */
  allowedHosts?: readonly string[] | undefined;
  /** Browser origins accepted besides loopback: hostnames, origins, or `<scheme>://*`. */
  allowedOrigins?: readonly string[] | undefined;
  /** Largest request body accepted, in bytes; larger ones get 413 (default 4 MiB). */
  maxBodyBytes?: number | undefined;
  /** A 2025-era session with no request and no open stream for this long is closed (default 30 min). */
  sessionIdleMs?: number | undefined;
  /** At most this many 2025-era sessions at once (default 500). */
  maxSessions?: number | undefined;
  /** At most this many open 2026-07-28 listen streams at once (default 500); beyond it, 503. */
  maxListens?: number | undefined;
  /** How long close() waits for requests in flight before cutting them off (default 10 s). */
  drainMs?: number | undefined;
  /** How long claims made through MCP last (default 15 minutes). */
  leaseMs?: number | undefined;
  /** More tools, registered after the queue tools (as for createServer). */
  extraTools?: readonly ToolRegistrar[] | undefined;
  /** Be an OAuth 2.1 resource server for this issuer (RALPH_OAUTH_ISSUER; see oauth/config.ts). */
  oauth?: OAuthOptions | undefined;
}

export interface RunningHttpServer {
  /** Where clients connect, e.g. http://127.0.0.1:8787/mcp. */
  readonly url: string;
  readonly port: number;
  /** Drain and stop; idempotent. Does not close the store. */
  close(): Promise<void>;
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { store } = options;
  const host = options.host ?? DEFAULT_HTTP_HOST;
  const token = options.token === "" ? undefined : options.token;
  const oauthConfig = options.oauth ? resolveOAuth(options.oauth, host) : undefined;
  assertBindable(host, token, oauthConfig !== undefined);
  const oauth = oauthConfig ? new ResourceServer(oauthConfig, MCP_PATH) : undefined;
  const maxRequestBodySize = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const drainMs = options.drainMs ?? 10_000;
  const maxListens = options.maxListens ?? 500;
  const doors = new Doors({
    allowedHosts: defaultAllowedHosts(host, [
      ...(options.allowedHosts ?? []),
      ...(oauth?.publicHost ? [oauth.publicHost] : []),
    ]),
    allowedOrigins: defaultAllowedOrigins(options.allowedOrigins),
    token,
  });
  const gate = oauth ? new OAuthGate(oauth, doors) : undefined;

  const runtime = new ServerRuntime(store);
  const { hub, runs } = runtime;
  const base = {
    store,
    runs,
    leaseMs: options.leaseMs,
    extraTools: options.extraTools,
    ...(oauth ? { prepare: requireScopesOnRegistration } : {}),
  };
  const onerror = (error: Error) => log.debug({ err: error }, "MCP over HTTP");
  const modern = createMcpHandler(({ era }) => createServer({ ...base, era }), {
    legacy: "reject",
    maxRequestBodySize,
    onerror,
  });
  const listens = new ListenRegistry();
  const stopForwarding = forwardToNotifier(hub, store, modern.notify, listens.watched);
  const stopRunForwarding = forwardRunsToNotifier(runs, modern.notify);
  const sessions = new LegacySessions({
    createServer: () => createServer({ ...base, era: "legacy", hub }),
    stateless: legacyStatelessFallback(({ era }) => createServer({ ...base, era }), onerror, {
      maxRequestBodySize,
    }),
    idleMs: options.sessionIdleMs ?? 30 * 60_000,
    maxSessions: options.maxSessions ?? 500,
    maxRequestBodySize,
  });
  const inFlight = new InFlight();
  let draining = false;
  // The board at / (src/dashboard): behind the same doors, fed by the same hub.
  const dashboard = new Dashboard({
    store,
    doors,
    hub,
    runs,
    oauthOnly: oauth !== undefined && !doors.requiresToken,
  });

  /** Route one request that passed the doors; `markStream` says it is a notification stream, not work. */
  async function route(
    request: Request,
    markStream: () => void,
    authInfo: AuthInfo | undefined,
  ): Promise<Routed> {
    let parsedBody: unknown;
    if (request.method === "POST") {
      if (!isJsonContentType(request.headers.get("content-type"))) {
        return {
          response: jsonRpcError(
            415,
            -32000,
            "Unsupported Media Type: Content-Type must be application/json.",
          ),
        };
      }
      try {
        parsedBody = JSON.parse(await request.text());
      } catch {
        return { response: jsonRpcError(400, -32700, "Parse error: the body is not valid JSON.") };
      }
      const refusal = refuseBody(parsedBody);
      if (refusal) return { response: Response.json(refusal, { status: 400 }) };
    } else if (request.method === "GET") {
      markStream();
    }
    const beyondScope = gate?.calls(parsedBody, authInfo);
    if (beyondScope) return { response: beyondScope };
    if (await isLegacyRequest(request, parsedBody, { maxRequestBodySize }))
      return sessions.handle(request, parsedBody, authInfo);
    const uris = listenUris(parsedBody);
    if (uris === null) return { response: await modern.fetch(request, { parsedBody, authInfo }) };
    // Each open stream holds memory (~90 KB) until its own client ends it: bounded like sessions,
    // and a newcomer is refused rather than ending someone else's stream.
    if (listens.size >= maxListens) {
      return {
        response: Response.json(
          {
            jsonrpc: "2.0",
            id: usableId(parsedBody),
            error: {
              code: -32000,
              message: `Too many open listen streams (${maxListens}); try again later.`,
            },
          },
          { status: 503, headers: { "retry-after": "5" } },
        ),
      };
    }
    markStream();
    const forget = listens.add(uris);
    try {
      return { response: await modern.fetch(request, { parsedBody, authInfo }), done: forget };
    } catch (error) {
      forget();
      throw error;
    }
  }

  async function serveMcp(
    req: IncomingMessage,
    res: ServerResponse,
    cors: Record<string, string>,
  ): Promise<void> {
    // Work (a POST or DELETE) counts as in flight from its first byte until its answer is
    // written; a notification stream (a GET, a listen) stops counting once it is known as one.
    let counted = req.method !== "GET";
    if (counted) inFlight.enter();
    const markStream = () => {
      if (counted) inFlight.leave();
      counted = false;
    };
    let routed: Routed | undefined;
    try {
      let authInfo: AuthInfo | undefined;
      if (gate) {
        const outcome = await gate.mcp(req);
        if (outcome instanceof Response) {
          await write(res, outcome, cors);
          return;
        }
        authInfo = outcome;
      }
      const abort = new AbortController();
      res.once("close", () => abort.abort());
      let request: Request;
      try {
        request = await toWebRequest(req, undefined, { signal: abort.signal, maxRequestBodySize });
      } catch (error) {
        if ((error as { status?: unknown }).status === 413) {
          const refusal = `Payload Too Large: request bodies are limited to ${maxRequestBodySize} bytes.`;
          await write(res, jsonRpcError(413, -32000, refusal, { connection: "close" }), cors);
          return;
        }
        throw error;
      }
      routed = await route(request, markStream, authInfo);
      await write(res, routed.response, cors);
    } catch (error) {
      log.warn({ err: error }, "HTTP request failed");
      if (!res.headersSent) await write(res, jsonRpcError(500, -32603, "Internal server error."), cors);
      else res.destroy();
    } finally {
      routed?.done?.();
      if (counted) inFlight.leave();
    }
  }

  /** The board; with OAuth, after the gate (an access token, or the board's own sign-in). */
  async function serveDashboard(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    cors: Record<string, string>,
  ): Promise<void> {
    if (!gate) return dashboard.serve(req, res);
    try {
      const decision = await gate.dashboard(req, path);
      if (decision instanceof Response) await write(res, decision, cors);
      else await dashboard.serve(req, res, { authorized: decision === "authorized" });
    } catch (error) {
      log.warn({ err: error }, "dashboard request failed");
      if (!res.headersSent) await write(res, jsonRpcError(500, -32603, "Internal server error."), cors);
    }
  }

  async function serveHealth(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      await write(
        res,
        Response.json({ status: "method not allowed" }, { status: 405, headers: { allow: "GET" } }),
      );
      return;
    }
    if (draining) {
      await write(res, Response.json({ status: "stopping" }, { status: 503 }));
      return;
    }
    try {
      await store.peekNext();
      await write(res, Response.json({ status: "ok" }));
    } catch (error) {
      log.warn({ err: error }, "health check: the store did not answer");
      await write(res, Response.json({ status: "store unavailable" }, { status: 503 }));
    }
  }

  const server = createHttpServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const origin = header(req, "origin");
    const refused = doors.checkHostAndOrigin(header(req, "host"), origin);
    if (refused) {
      log.info(
        { host: req.headers.host, origin, path, status: refused.status },
        "refused a request at the door",
      );
      void write(res, jsonRpcError(refused.status, -32000, refused.message, refused.headers));
      return;
    }
    const cors = doors.allowsOrigin(origin) ? corsHeaders(origin as string) : {};
    if (req.method === "OPTIONS") {
      void write(res, new Response(null, { status: 204, headers: preflightHeaders() }), cors);
      return;
    }
    if (path === HEALTH_PATH) {
      void serveHealth(req, res);
      return;
    }
    if (oauth?.isMetadataPath(path ?? "")) {
      void write(res, oauth.metadataResponse(req.method), cors);
      return;
    }
    if (path !== undefined && dashboard.handles(path)) {
      void serveDashboard(req, res, path, cors);
      return;
    }
    if (path !== MCP_PATH) {
      void write(res, jsonRpcError(404, -32000, `Not found: the MCP endpoint is ${MCP_PATH}.`), cors);
      return;
    }
    // With OAuth, serveMcp checks the token (the static one too).
    const unauthorized = oauth ? null : doors.checkToken(header(req, "authorization"));
    if (unauthorized) {
      void write(
        res,
        jsonRpcError(unauthorized.status, -32001, unauthorized.message, unauthorized.headers),
        cors,
      );
      return;
    }
    if (draining) {
      const headers = { connection: "close", "retry-after": "1" };
      void write(res, jsonRpcError(503, -32000, "The server is stopping; try again shortly.", headers), cors);
      return;
    }
    if (req.method !== "GET" && req.method !== "POST" && req.method !== "DELETE") {
      void write(res, jsonRpcError(405, -32000, "Method not allowed.", { allow: "GET, POST, DELETE" }), cors);
      return;
    }
    void serveMcp(req, res, cors);
  });
  server.on("clientError", (error, socket) => {
    log.debug({ err: error }, "malformed HTTP request");
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  });

  const stopServing = () =>
    runtime.close(async () => {
      stopForwarding();
      stopRunForwarding();
      await sessions.closeAll();
      await modern.close();
      dashboard.close();
    });
  let port: number;
  try {
    port = await listen(server, options.port ?? DEFAULT_HTTP_PORT, host);
  } catch (error) {
    await stopServing();
    throw error;
  }
  const shownHost = host === "0.0.0.0" || host === "::" || host === "[::]" ? machineName() : host;
  const url = `http://${asHostname(shownHost)}:${port}${MCP_PATH}`;
  oauth?.bindTo(`http://${asHostname(shownHost)}:${port}`);
  oauth?.warmUp();

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    // Single flight: a second signal, or close() from two places, waits for the same shutdown.
    closing ??= (async () => {
      draining = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (!(await inFlight.idle(drainMs))) {
        log.warn(
          { requests: inFlight.size, drainMs },
          "requests still in flight at the drain deadline; cutting them off",
        );
      }
      await stopServing();
      server.closeAllConnections();
      await stopped;
    })();
    return closing;
  };

  return { url, port, close };
}

export interface HttpCommandOptions {
  /** SQLite path or postgres:// URL; default RALPH_DB, else the user data folder. */
  db?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  allowedHosts?: readonly string[] | undefined;
  allowedOrigins?: readonly string[] | undefined;
  maxBodyBytes?: number | undefined;
}

/**
 * `ralph-mcp serve --http`: open the store, serve until SIGTERM or SIGINT, drain, close the store,
 * exit 0. The token comes from RALPH_HTTP_TOKEN only (a command-line argument would show in `ps`).
 */
export async function runHttpServer(options: HttpCommandOptions): Promise<void> {
  const token = process.env.RALPH_HTTP_TOKEN?.trim() || undefined;
  const host = options.host ?? DEFAULT_HTTP_HOST;
  const oauth = oauthFromEnv();
  // Before the store is opened: a refused start leaves nothing behind.
  if (oauth) resolveOAuth(oauth, host);
  assertBindable(host, token, oauth !== undefined);
  const { openStore } = await import("../store/open.js");
  const store = await openStore(options.db);
  await serveProcess(store, async () => {
    const running = await startHttpServer({ ...options, store, host, token, oauth });
    log.info(
      { url: running.url, store: store.location, auth: describeAuth(token, oauth) },
      "ralph-mcp HTTP server listening",
    );
    // For the person who started it: where it listens, as a plain line (stdout is not protocol here).
    process.stdout.write(`ralph-mcp: MCP over HTTP at ${running.url} (store: ${store.location})\n`);
    process.stdout.write(
      `ralph-mcp: the board at ${new URL("/", running.url).href} (open it in a browser)\n`,
    );
    return running;
  });
}

function describeAuth(token: string | undefined, oauth: OAuthOptions | undefined): string {
  const kinds = [...(oauth ? [`OAuth (issuer ${oauth.issuer})`] : []), ...(token ? ["bearer token"] : [])];
  return kinds.length > 0 ? kinds.join(" and ") : "none (loopback only)";
}
