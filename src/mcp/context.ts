/**
 * What every tool, resource and prompt gets: the store, the worker identity of the caller, and
 * the server options. Built once per server instance by createServer().
 */
import { hostname } from "node:os";
import { CLIENT_INFO_META_KEY, type McpServer, type ServerContext } from "@modelcontextprotocol/server";
import type { TaskStore } from "../store/types.js";

export interface McpContext {
  store: TaskStore;
  /** How long a claim made through MCP lasts before the task goes back in line (ms). */
  leaseMs: number;
  /** Who is calling, for `claimed_by`: the client's name, this host and process, and the session. */
  workerId(ctx: ServerContext): string;
}

/**
 * The worker id of an MCP caller: `<client name>@<host>:<pid>` plus the session id when the
 * transport has one. On the 2026-07-28 era the client names itself on every request (the
 * `_meta` envelope); on a 2025-era connection it did so once, in `initialize`.
 */
export function workerIdFor(server: McpServer, ctx: ServerContext): string {
  // Over HTTP with OAuth the token's subject is who acts: it holds the claims, whichever client
  // or session it calls from.
  const subject = ctx.http?.authInfo?.extra?.subject;
  if (typeof subject === "string") return `oauth:${subject}`.slice(0, 200);
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const fromEnvelope = envelope?.[CLIENT_INFO_META_KEY] as { name?: unknown } | undefined;
  const name =
    (typeof fromEnvelope?.name === "string" ? fromEnvelope.name : undefined) ??
    server.server.getClientVersion()?.name ??
    "mcp-client";
  const session = ctx.sessionId ? `/${ctx.sessionId.slice(0, 12)}` : "";
  return `${name.slice(0, 60)}@${hostname().slice(0, 60)}:${process.pid}${session}`;
}
