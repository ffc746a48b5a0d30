/**
 * Where OAuth meets the HTTP server's routes, so http.ts only asks "may this go on, and as whom?":
 * once per request that reaches /mcp or the dashboard, and once more for a /mcp request's calls.
 *
 * - /mcp: the access token, or the static RALPH_HTTP_TOKEN when one is set (resource-server.ts).
 * - The dashboard: a request with a bearer access token needs tasks:read to look (GET) and
 *   tasks:write to act (POST). One without is the board's own business: its sign-in with the
 *   static token (its session cookie), or, with OAuth and no static token, closed.
 */
import type { IncomingMessage } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/server";
import { log } from "../../log.js";
import type { Doors } from "../http-doors.js";
import { hasQueryToken, type ResourceServer, subjectOf } from "./resource-server.js";
import { hasScope, methodChallenge, SCOPES } from "./scopes.js";

/** What the dashboard should do with a request: check it itself, take it as authorized, or refuse. */
export type DashboardDecision = "own-check" | "authorized" | Response;

export class OAuthGate {
  constructor(
    private readonly server: ResourceServer,
    private readonly doors: Doors,
  ) {}

  /** A /mcp request: its AuthInfo, undefined for the static token, or the refusal. */
  mcp(req: IncomingMessage): Promise<AuthInfo | undefined | Response> {
    const authorization = header(req, "authorization");
    const staticToken = this.doors.requiresToken && this.doors.checkToken(authorization) === null;
    return this.server.authenticate(authorization, req.url ?? "/", staticToken);
  }

  /**
   * The JSON-RPC calls of a /mcp request that was let in: the 403 when one of them needs a scope
   * the token lacks and names no tool or resource (subscribe, listen, completion; the SDK checks
   * tools and resources), else undefined. Logs each tool call made with an access token: who
   * (subject, client) called what. Tasks record who holds them (`claimed_by`); this is the trail
   * of the rest.
   */
  calls(body: unknown, authInfo: AuthInfo | undefined): Response | undefined {
    if (authInfo === undefined) return undefined;
    const challenge = methodChallenge(body, authInfo);
    if (challenge) return this.server.insufficientScope(challenge);
    for (const message of Array.isArray(body) ? body : [body]) {
      const m = message as { method?: unknown; params?: { name?: unknown } } | null;
      if (m?.method !== "tools/call" || typeof m.params?.name !== "string") continue;
      log.info({ subject: subjectOf(authInfo), client: authInfo.clientId, tool: m.params.name }, "tool call");
    }
    return undefined;
  }

  async dashboard(req: IncomingMessage, path: string): Promise<DashboardDecision> {
    if (path.startsWith("/assets/") || path === "/login" || path === "/logout") return "own-check";
    const authorization = header(req, "authorization");
    // No bearer: a person in a browser, whom the board signs in itself (or, with OAuth only, keeps out).
    if (authorization === undefined && !hasQueryToken(req.url ?? "/")) return "own-check";
    const outcome = await this.mcp(req);
    if (outcome instanceof Response) return outcome;
    if (outcome === undefined) return "own-check"; // the static token: the dashboard knows it
    const scope = req.method === "GET" || req.method === "HEAD" ? SCOPES.read : SCOPES.write;
    if (hasScope(outcome, scope)) return "authorized";
    const what = scope === SCOPES.read ? "Looking at the board" : "Changing tasks from the board";
    return this.server.insufficientScope({
      scopes: [scope],
      errorDescription: `${what} needs the scope ${scope}; this token has ${outcome.scopes.join(" ") || "no scopes"}.`,
    });
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
