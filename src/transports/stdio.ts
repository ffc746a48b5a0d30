/**
 * The stdio server: what Claude Desktop and Claude Code start. stdout carries the MCP protocol
 * and nothing else (logs go to stderr); the process stops when stdin closes, or the connection
 * closes for any other reason, through the runtime's shutdown (runs cancelled, agents killed,
 * tasks put back, store closed), whatever timers or listeners are still active.
 *
 * serveStdio (SDK) reads the opening message and pins the connection to one era: a 2025-era
 * `initialize` gets a legacy instance, a 2026-07-28 `server/discover` (or enveloped request) a
 * modern one; both come from the same createServer() factory. The wire under it is ours
 * (stdio-wire.ts: per-message limit, an answer to every malformed line).
 */
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { log } from "../log.js";
import { createServer } from "../mcp/server.js";
import { openStore } from "../store/open.js";
import { ListenTap } from "./listen-tap.js";
import { ServerRuntime, serveProcess } from "./runtime.js";
import { StdioWire } from "./stdio-wire.js";

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
  await serveProcess(store, async () => {
    const runtime = new ServerRuntime(store);
    const wire = new StdioWire();
    const tap = new ListenTap(wire);
    const { hub, runs } = runtime;
    const factory = ({ era }: { era: "legacy" | "modern" }) =>
      createServer({ store, hub, era, runs, watched: tap.watched, watchedChanges: tap.onWatchedChange });
    const handle = serveStdio(factory, {
      transport: tap,
      onerror: (error) => log.warn({ err: error }, "stdio transport"),
    });
    log.debug({ store: store.location }, "stdio server ready");
    return { ended: wire.closed, close: () => runtime.close(() => handle.close()) };
  });
}
