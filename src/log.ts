/**
 * The one logger (pino). It writes to stderr only: in stdio mode stdout carries the MCP protocol,
 * and a stray line there breaks the client. Level from RALPH_LOG_LEVEL (default "info").
 */
import { pino } from "pino";

export const log = pino(
  { name: "ralph-mcp", level: process.env.RALPH_LOG_LEVEL ?? "info", base: { pid: process.pid } },
  pino.destination({ fd: 2, sync: true }),
);
