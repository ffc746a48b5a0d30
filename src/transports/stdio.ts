/**
 * The stdio server: what Claude Desktop and Claude Code start. stdout carries the MCP protocol
 * and nothing else (logs go to stderr); the process exits when stdin closes, whatever timers or
 * listeners are still active, after flushing the store.
 *
 * serveStdio (SDK) reads the opening message and pins the connection to one era: a 2025-era
 * `initialize` gets a legacy instance, a 2026-07-28 `server/discover` (or enveloped request) a
 * modern one; both come from the same createServer() factory.
 */
import { StdioServerTransport, serveStdio } from "@modelcontextprotocol/server/stdio";
import { log } from "../log.js";
import { ChangeHub } from "../mcp/changes.js";
import { startLeaseSweep } from "../mcp/lease-sweep.js";
import { createServer } from "../mcp/server.js";
import { RunRegistry } from "../orchestrator/registry.js";
import { openStore } from "../store/open.js";
import { ListenTap } from "./listen-tap.js";

export interface StdioServerOptions {
  /** SQLite path or postgres:// URL; default RALPH_DB, else the user data folder. */
  db?: string | undefined;
}

/** Keep stray console output of any library off stdout, where it would corrupt the protocol. */
function guardStdout(): void {
  const toStderr = (...args: unknown[]) => console.error(...args);
  Object.assign(console, { log: toStderr, info: toStderr, debug: toStderr, trace: toStderr });
}

export async function runStdioServer(options: StdioServerOptions = {}): Promise<void> {
  guardStdout();
  const store = await openStore(options.db);
  const stdinClosed = new Promise<string>((resolve) => {
    if (process.stdin.readableEnded || process.stdin.destroyed) resolve("stdin closed");
    process.stdin.once("end", () => resolve("stdin closed"));
    process.stdin.once("close", () => resolve("stdin closed"));
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled rejection"));
  const hub = new ChangeHub(store);
  const stopSweep = startLeaseSweep(store);
  // Orchestrator settings are read when each run starts, so a wrong one fails that run, not start-up.
  const runs = new RunRegistry({ store });
  const tap = new ListenTap(new StdioServerTransport());
  const factory = ({ era }: { era: "legacy" | "modern" }) =>
    createServer({ store, hub, era, runs, watched: tap.watched, watchedChanges: tap.onWatchedChange });
  const handle = serveStdio(factory, {
    transport: tap,
    onerror: (error) => log.warn({ err: error }, "stdio transport"),
  });
  log.debug({ store: store.location }, "stdio server ready");

  const why = await stdinClosed;
  log.debug({ why }, "stdio server stopping");
  // Runs stop first: their executions are killed and their tasks put back in line while the store is open.
  await runs.close().catch((error) => log.warn({ err: error }, "stopping the runs"));
  stopSweep();
  hub.close();
  await handle.close().catch((error) => log.warn({ err: error }, "closing the connection"));
  await store.close().catch((error) => log.warn({ err: error }, "closing the store"));
  // Whatever else is still scheduled (a run, a retry timer) must not keep a client-less server alive.
  process.exit(0);
}
