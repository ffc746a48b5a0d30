/**
 * The one logger (pino). It writes to stderr only: in stdio mode stdout carries the MCP protocol,
 * and a stray line there breaks the client. Level from RALPH_LOG_LEVEL (default "info").
 *
 * pino is loaded on the first call that would write something: a stdio server that has nothing
 * to say starts ~30 ms sooner (its cold start is what a client waits for). Calls below the level
 * stay no-ops without loading it.
 */
import { createRequire } from "node:module";
import type { Logger, pino as Pino } from "pino";

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const level = process.env.RALPH_LOG_LEVEL ?? "info";
const threshold = LEVELS[level] ?? LEVELS.info ?? 30;

let instance: Logger | undefined;
function logger(): Logger {
  if (!instance) {
    const { pino } = createRequire(import.meta.url)("pino") as { pino: typeof Pino };
    instance = pino(
      { name: "ralph-mcp", level, base: { pid: process.pid } },
      pino.destination({ fd: 2, sync: true }),
    );
  }
  return instance;
}

const noop = () => {};

export const log: Logger = new Proxy({} as Logger, {
  get(_target, property) {
    const rank = typeof property === "string" ? LEVELS[property] : undefined;
    if (rank !== undefined && rank < threshold && !instance) return noop;
    const value = Reflect.get(logger(), property);
    return typeof value === "function" ? value.bind(instance) : value;
  },
});
