/**
 * 2025-era clients over HTTP (Claude Desktop's connectors, SDK 1.x, the v2 client in its default
 * mode) speak in sessions: `initialize` opens one, every later request names it in
 * `Mcp-Session-Id`, a GET opens the stream the server's own messages travel on, DELETE ends it.
 * The SDK's createMcpHandler serves this era only statelessly (no GET stream, so a subscription
 * could never be delivered), so 2025-era requests come here instead: one sessionful
 * WebStandardStreamableHTTPServerTransport and one server instance (from the same createServer
 * factory, with the process's ChangeHub) per session, kept until the client deletes it, it stays
 * idle too long, or the server stops. No other client's request ends it: at maxSessions a new
 * session is refused rather than pushing out an idle one.
 *
 * Requests that name no session and are not an `initialize` (a one-off script) are served
 * statelessly, as the SDK's own fallback would.
 */
import { randomUUID } from "node:crypto";
import {
  type AuthInfo,
  isInitializeRequest,
  type LegacyHttpHandler,
  type McpServer,
  WebStandardStreamableHTTPServerTransport,
} from "@modelcontextprotocol/server";
import { log } from "../log.js";
import { subjectOf } from "./oauth/resource-server.js";

interface Session {
  id: string;
  server: McpServer;
  transport: WebStandardStreamableHTTPServerTransport;
  /** With OAuth: the subject whose token opened the session; only it may use the session. */
  subject: string | undefined;
  /** Requests of this session whose responses are still being written (an open GET stream is one). */
  open: number;
  lastActive: number;
}

export interface LegacySessionsOptions {
  /** Builds the server instance of a new session (createServer with era "legacy" and the hub). */
  createServer: () => McpServer;
  /** Serves 2025-era requests that name no session and are not an initialize. */
  stateless: LegacyHttpHandler;
  /** A session with no request and no open stream for this long is closed. */
  idleMs: number;
  /** At most this many sessions at once; beyond it a new one is refused (503) until one ends. */
  maxSessions: number;
  maxRequestBodySize: number;
}

/** What the router needs back: the response, and a call for when it has been written. */
export interface Routed {
  response: Response;
  done?: () => void;
}

export function jsonRpcError(
  status: number,
  code: number,
  message: string,
  headers?: Record<string, string>,
): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status, headers });
}

export class LegacySessions {
  private readonly sessions = new Map<string, Session>();
  private readonly sweep: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: LegacySessionsOptions) {
    this.sweep = setInterval(() => this.closeIdle(), Math.min(60_000, Math.max(1_000, options.idleMs / 4)));
    this.sweep.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /**
   * Serve one 2025-era request; `parsedBody` is the POST body already read and parsed, `authInfo`
   * the verified OAuth token it came with (handlers see it as ctx.http.authInfo).
   */
  async handle(request: Request, parsedBody: unknown, authInfo?: AuthInfo): Promise<Routed> {
    const id = request.headers.get("mcp-session-id");
    if (id !== null) {
      const session = this.sessions.get(id);
      if (!session) {
        return {
          response: jsonRpcError(
            404,
            -32001,
            "Session not found: it ended, was idle too long, or the server restarted. Send initialize to start a new one.",
          ),
        };
      }
      if (session.subject !== subjectOf(authInfo)) {
        return {
          response: jsonRpcError(
            403,
            -32001,
            "Forbidden: this session was opened with another user's token. Send initialize to start your own.",
          ),
        };
      }
      session.open++;
      session.lastActive = Date.now();
      const done = () => {
        session.open--;
        session.lastActive = Date.now();
      };
      try {
        return { response: await session.transport.handleRequest(request, { parsedBody, authInfo }), done };
      } catch (error) {
        done();
        throw error;
      }
    }
    if (request.method === "POST" && isInitialize(parsedBody))
      return { response: await this.open(request, parsedBody, authInfo) };
    if (request.method === "POST")
      return { response: await this.options.stateless(request, { parsedBody, authInfo }) };
    return { response: jsonRpcError(400, -32000, "Bad Request: Mcp-Session-Id header is required.") };
  }

  /** Close every session (their streams end; their server instances let go of the hub). */
  async closeAll(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweep);
    await Promise.all([...this.sessions.keys()].map((id) => this.end(id, "server stopping")));
  }

  private async open(
    request: Request,
    parsedBody: unknown,
    authInfo: AuthInfo | undefined,
  ): Promise<Response> {
    if (this.closed) return jsonRpcError(503, -32000, "The server is stopping.");
    // Only a session's own client ends it (DELETE), or its idleness does: a new client never
    // pushes out someone else's session, so a full server refuses the newcomer instead.
    if (this.sessions.size >= this.options.maxSessions) {
      return jsonRpcError(
        503,
        -32000,
        `Too many sessions (${this.options.maxSessions}). A session nobody uses ends after ${Math.round(this.options.idleMs / 60_000)} min idle; try again later.`,
        { "Retry-After": "5" },
      );
    }
    const server = this.options.createServer();
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: this.options.maxRequestBodySize,
      onsessioninitialized: (id) => {
        const subject = subjectOf(authInfo);
        this.sessions.set(id, { id, server, transport, subject, open: 0, lastActive: Date.now() });
        log.debug({ session: id, sessions: this.sessions.size }, "session opened");
      },
      onsessionclosed: (id) => {
        void this.end(id, "deleted by the client");
      },
    });
    transport.onerror = (error) => log.debug({ err: error }, "legacy HTTP transport");
    await server.connect(transport);
    const response = await transport.handleRequest(request, { parsedBody, authInfo });
    // The initialize was refused before a session began (a bad Accept header, say): nothing to keep.
    if (transport.sessionId === undefined) await server.close();
    return response;
  }

  private async end(id: string, why: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    log.debug({ session: id, why, sessions: this.sessions.size }, "session closed");
    // Closing the server closes its transport (ending the session's streams) and its hub subscription.
    await session.server
      .close()
      .catch((error) => log.debug({ err: error, session: id }, "closing a session"));
  }

  private closeIdle(): void {
    const cutoff = Date.now() - this.options.idleMs;
    for (const session of this.sessions.values()) {
      if (session.open === 0 && session.lastActive < cutoff) void this.end(session.id, "idle");
    }
  }
}

function isInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
}
