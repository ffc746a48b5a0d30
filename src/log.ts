/**
 * The one logger (pino). It writes to stderr only: in stdio mode stdout carries the MCP protocol,
 * and a stray line there breaks the client. Level from RALPH_LOG_LEVEL (default "info").
 *
 * Format: readable lines (pino-pretty: time, level, message, then the fields on the same line)
 * when stderr is a terminal, JSON lines otherwise (a client's log file, a pipe, a log collector).
 * RALPH_LOG_FORMAT=json or =pretty chooses either way. Colour only on a terminal and never with
 * NO_COLOR.
 *
 * pino is loaded on the first call that would write something: a stdio server that has nothing
 * to say starts ~30 ms sooner (its cold start is what a client waits for). Calls below the level
 * stay no-ops without loading it.
 */
import { createRequire } from "node:module";
import type { DestinationStream, Logger, pino as Pino } from "pino";
import { colourFor } from "./colour.js";

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const level = process.env.RALPH_LOG_LEVEL ?? "info";
const threshold = LEVELS[level] ?? LEVELS.info ?? 30;

/** "json" or "pretty": RALPH_LOG_FORMAT when it says which, else pretty only on a terminal. */
export function logFormat(
  env: NodeJS.ProcessEnv = process.env,
  tty = Boolean(process.stderr.isTTY),
): "json" | "pretty" {
  const asked = env.RALPH_LOG_FORMAT?.trim().toLowerCase();
  if (asked === "json" || asked === "pretty") return asked;
  return tty ? "pretty" : "json";
}

let instance: Logger | undefined;
function logger(): Logger {
  if (!instance) {
    const require = createRequire(import.meta.url);
    const { pino } = require("pino") as { pino: typeof Pino };
    let destination: DestinationStream;
    if (logFormat() === "pretty") {
      const pretty = require("pino-pretty") as (options: Record<string, unknown>) => DestinationStream;
      destination = pretty({
        destination: 2,
        sync: true,
        colorize: colourFor(process.stderr),
        translateTime: "SYS:HH:MM:ss",
        ignore: "pid,hostname,name",
        singleLine: true,
      });
    } else {
      destination = pino.destination({ fd: 2, sync: true });
    }
    instance = pino({ name: "ralph-mcp", level, base: { pid: process.pid } }, destination);
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
