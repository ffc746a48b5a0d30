/**
 * Who may see the board when the server has a token (RALPH_HTTP_TOKEN).
 *
 * A person signs in once with the token through a form (POST /login, so it never sits in a URL or
 * the browser's history); the server answers with a random session id in an HttpOnly,
 * SameSite=Strict cookie. The token itself is never stored in the browser, written to a log or put
 * in a page. Scripts may send `Authorization: Bearer <token>` instead, as for /mcp.
 *
 * Cross-site request forgery: the cookie is SameSite=Strict, and every state-changing request
 * must carry the header `x-ralph-dashboard: 1` with a JSON body. A page on another site cannot
 * send a custom header without a CORS preflight, which a foreign Origin never passes (the doors
 * answer it 403).
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Doors } from "../transports/http-doors.js";

export const SESSION_COOKIE = "ralph_board";
export const CSRF_HEADER = "x-ralph-dashboard";
/** A sign-in lasts this long (12 hours). */
const SESSION_MS = 12 * 60 * 60 * 1000;
/** Sessions kept at most; the oldest go first. */
const MAX_SESSIONS = 1000;

export class DashboardAuth {
  /** Session id → when it ends. */
  private readonly sessions = new Map<string, number>();

  constructor(private readonly doors: Doors) {}

  get required(): boolean {
    return this.doors.requiresToken;
  }

  /** Whether the request may see the board: no token needed, a live session, or the bearer token. */
  allows(req: IncomingMessage): boolean {
    if (!this.required) return true;
    const session = cookie(req.headers.cookie, SESSION_COOKIE);
    if (session !== undefined) {
      const ends = this.sessions.get(session);
      if (ends !== undefined && ends > Date.now()) return true;
      if (ends !== undefined) this.sessions.delete(session);
    }
    const authorization = req.headers.authorization;
    return authorization !== undefined && this.doors.checkToken(authorization) === null;
  }

  /** A new session for the right token, else null. */
  signIn(token: string): string | null {
    if (this.doors.checkToken(`Bearer ${token.trim()}`) !== null) return null;
    const id = randomBytes(32).toString("base64url");
    this.sessions.set(id, Date.now() + SESSION_MS);
    while (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    return id;
  }

  /** The request's session id (live or not), if it carries one. */
  sessionOf(req: IncomingMessage): string | undefined {
    return cookie(req.headers.cookie, SESSION_COOKIE);
  }

  /** End the request's session; returns its id, so its open streams can be ended too. */
  signOut(req: IncomingMessage): string | undefined {
    const session = this.sessionOf(req);
    if (session !== undefined) this.sessions.delete(session);
    return session;
  }

  /** The Set-Cookie value for a session (`null` clears it). Secure when the page came over HTTPS. */
  static cookie(session: string | null, secure: boolean): string {
    const attributes = ["Path=/", "HttpOnly", "SameSite=Strict", ...(secure ? ["Secure"] : [])];
    if (session === null) return [`${SESSION_COOKIE}=`, "Max-Age=0", ...attributes].join("; ");
    return [`${SESSION_COOKIE}=${session}`, `Max-Age=${SESSION_MS / 1000}`, ...attributes].join("; ");
  }
}

/** Whether a state-changing request carries what a cross-site form or script cannot. */
export function passesCsrf(req: IncomingMessage): boolean {
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  return req.headers[CSRF_HEADER] === "1" && type === "application/json";
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}
