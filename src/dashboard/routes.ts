/**
 * The dashboard's HTTP side, behind the same doors as /mcp (the caller checked Host and Origin):
 *
 *   GET  /                      the board (or the sign-in form while a token is required)
 *   POST /login, /logout        sign in with the token (a session cookie), sign out
 *   GET  /assets/app.js|css     the front end, served by us (no CDN)
 *   GET  /api/board             counts, the first cards of each status, recent runs
 *   GET  /api/tasks?status=&cursor=   more cards of one status
 *   GET  /api/tasks/{id}        one task in full, with its dependencies' statuses
 *   GET  /api/events            Server-Sent Events: the board at every change (see live.ts)
 *   POST /api/tasks             add;  POST /api/tasks/{id}/retry|fail|delete;  POST /api/runs/{id}/cancel
 *
 * With a token, everything but the sign-in form and the assets needs a session or the bearer
 * token; POSTs also need the anti-forgery header (auth.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isRalphError, ValidationError } from "../domain/errors.js";
import { isTaskStatus } from "../domain/task.js";
import { log } from "../log.js";
import type { ChangeHub } from "../mcp/changes.js";
import type { RunRegistry } from "../orchestrator/registry.js";
import type { TaskStore } from "../store/types.js";
import type { Doors } from "../transports/http-doors.js";
import { parseAction, perform } from "./actions.js";
import { assets, boardPage, signInPage } from "./assets.js";
import { CSRF_HEADER, DashboardAuth, passesCsrf } from "./auth.js";
import { BoardFeed } from "./live.js";
import { taskDetail, taskPage } from "./snapshot.js";
import type { BoardAction } from "./types.js";

export interface DashboardOptions {
  store: TaskStore;
  doors: Doors;
  hub: ChangeHub;
  runs?: RunRegistry | undefined;
  runPollMs?: number | undefined;
  /**
   * The server takes OAuth access tokens and has no static token: a browser has no way to sign in,
   * so the board stays closed (never open to whoever reaches a non-loopback address).
   */
  oauthOnly?: boolean | undefined;
}

const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  // Not no-referrer: with it Chromium sends "Origin: null" on the sign-in form, which the doors refuse.
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};
const MAX_BODY = 256 * 1024;
const ACTION_PATH = /^\/api\/(tasks|runs)\/([A-Za-z0-9_-]{1,40})\/(retry|fail|delete|cancel)$/;

export class Dashboard {
  private readonly auth: DashboardAuth;
  readonly feed: BoardFeed;

  constructor(private readonly options: DashboardOptions) {
    this.auth = new DashboardAuth(options.doors);
    this.feed = new BoardFeed({
      store: options.store,
      hub: options.hub,
      runs: options.runs,
      runPollMs: options.runPollMs,
    });
  }

  /** Whether `path` is one of the dashboard's (the MCP endpoint and /healthz are not). */
  handles(path: string): boolean {
    return (
      path === "/" ||
      path === "/login" ||
      path === "/logout" ||
      path.startsWith("/assets/") ||
      path.startsWith("/api/")
    );
  }

  /** `authorized`: the caller already let this request in (serve --http with OAuth: an access token). */
  async serve(req: IncomingMessage, res: ServerResponse, by: { authorized?: boolean } = {}): Promise<void> {
    const url = new URL(req.url ?? "/", "http://dashboard.invalid");
    try {
      await this.route(req, res, url, by.authorized === true);
    } catch (error) {
      if (isRalphError(error)) {
        const status =
          error.code === "not_found"
            ? 404
            : error.code === "invalid_input"
              ? 400
              : error.retryable
                ? 503
                : 409;
        json(res, status, { ok: false, message: error.message });
        return;
      }
      log.warn({ err: error, path: url.pathname }, "dashboard request failed");
      if (!res.headersSent) json(res, 500, { ok: false, message: "Internal error; try again." });
      else res.destroy();
    }
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    authorized: boolean,
  ): Promise<void> {
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (path.startsWith("/assets/")) return this.asset(res, path.slice("/assets/".length));
    if (path === "/login" && method === "POST") return this.signIn(req, res);
    if (path === "/login") return html(res, 200, signInPage());
    if (path === "/logout" && method === "POST") {
      const session = this.auth.signOut(req);
      if (session !== undefined) this.feed.endSession(session);
      res.writeHead(303, { location: "/", "set-cookie": DashboardAuth.cookie(null, secure(req)) });
      res.end();
      return;
    }
    if (!authorized && this.options.oauthOnly) {
      const message =
        "The board needs RALPH_HTTP_TOKEN: this server takes OAuth tokens for /mcp, and a browser cannot sign in with those. " +
        "Set RALPH_HTTP_TOKEN as well, or run `ralph-mcp dashboard` on this machine.";
      return json(res, 403, { ok: false, message });
    }
    if (!authorized && !this.auth.allows(req)) {
      if (path === "/") return html(res, 401, signInPage());
      return json(res, 401, { ok: false, message: "Sign in first: open / and give the server's token." });
    }
    if (method === "GET") {
      if (path === "/") return html(res, 200, boardPage());
      if (path === "/api/board") return json(res, 200, await this.feed.current());
      if (path === "/api/events") return this.events(res, this.auth.sessionOf(req));
      if (path === "/api/tasks") {
        const status = url.searchParams.get("status") ?? "";
        if (!isTaskStatus(status)) {
          return json(res, 400, {
            ok: false,
            message: "status must be pending, in_progress, completed or failed.",
          });
        }
        return json(
          res,
          200,
          await taskPage(this.options.store, status, url.searchParams.get("cursor") ?? undefined),
        );
      }
      const one = /^\/api\/tasks\/([A-Za-z0-9_-]{1,40})$/.exec(path);
      if (one?.[1]) return json(res, 200, await taskDetail(this.options.store, one[1]));
      return json(res, 404, { ok: false, message: `Not found: ${path}.` });
    }
    if (method !== "POST") {
      res.writeHead(405, { allow: "GET, POST" });
      res.end();
      return;
    }
    if (!passesCsrf(req)) {
      return json(res, 403, {
        ok: false,
        message: `Refused: a change needs the header "${CSRF_HEADER}: 1" and a JSON body (the board sends both).`,
      });
    }
    const action = this.actionFor(path, await readJson(req));
    if (!action) return json(res, 404, { ok: false, message: `Not found: ${path}.` });
    const result = await perform(this.options.store, this.options.runs, action);
    log.info({ action: action.kind, id: "id" in action ? action.id : undefined }, "dashboard action");
    return json(res, 200, result);
  }

  private actionFor(path: string, body: unknown): BoardAction | null {
    if (path === "/api/tasks") return parseAction("add", undefined, body);
    const match = ACTION_PATH.exec(path);
    if (!match) return null;
    const [, what, id, verb] = match;
    if (what === "runs") return verb === "cancel" ? parseAction("cancel_run", id, body) : null;
    if (verb === "retry" || verb === "fail" || verb === "delete") return parseAction(verb, id, body);
    return null;
  }

  private asset(res: ServerResponse, name: string): void {
    const asset = assets().get(name);
    if (!asset) {
      json(res, 404, { ok: false, message: `No asset ${name}.` });
      return;
    }
    res.writeHead(200, {
      "content-type": asset.type,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    });
    res.end(asset.body);
  }

  private events(res: ServerResponse, session: string | undefined): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.flushHeaders();
    this.feed.attach(res, session);
  }

  private async signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const session = this.auth.signIn(form.get("token") ?? "");
    if (session === null) {
      log.info("dashboard: a sign-in with a wrong token was refused");
      return html(res, 401, signInPage("That is not the token this server was started with."));
    }
    res.writeHead(303, {
      location: "/",
      "set-cookie": DashboardAuth.cookie(session, secure(req)),
      "cache-control": "no-store",
    });
    res.end();
  }

  close(): void {
    this.feed.close();
  }
}

function secure(req: IncomingMessage): boolean {
  return req.headers["x-forwarded-proto"] === "https" || "encrypted" in req.socket;
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", ...PAGE_HEADERS });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ValidationError(`The request body is larger than ${MAX_BODY} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError("The request body is not valid JSON.");
  }
}
