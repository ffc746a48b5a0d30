/**
 * The one server runtime both transports use: what a serving process holds besides its
 * connections, and the order it stops in.
 *
 *   const runtime = new ServerRuntime(store);        // change hub, lease sweep, run registry
 *   … serve connections with runtime.hub / runtime.runs …
 *   await runtime.close(() => closeConnections());   // the shutdown order, once
 *
 * Shutdown order: the runs stop first (their executions are killed and their tasks put back in
 * line while the store is still open and the connections can still hear the runs end), then the
 * connections close, then the lease sweep and the change hub stop. The store belongs to whoever
 * opened it.
 *
 * `serveProcess` is the process around it, for `ralph-mcp` (stdio) and `serve --http`: it stops
 * on SIGTERM / SIGINT, when the transport ends by itself (stdin closed, stdout broken), and on a
 * broken invariant (an unhandled rejection or an uncaught exception), always through the same
 * shutdown, then closes the store and exits: 0, or 1 after a broken invariant.
 */
import { log } from "../log.js";
import { ChangeHub } from "../mcp/changes.js";
import { startLeaseSweep } from "../mcp/lease-sweep.js";
import { RunRegistry } from "../orchestrator/registry.js";
import type { TaskStore } from "../store/types.js";

export class ServerRuntime {
  readonly hub: ChangeHub;
  readonly runs: RunRegistry;
  private readonly stopSweep: () => void;
  private closing: Promise<void> | null = null;

  constructor(
    readonly store: TaskStore,
    options: { runs?: RunRegistry | undefined } = {},
  ) {
    this.hub = new ChangeHub(store);
    this.stopSweep = startLeaseSweep(store);
    // Orchestrator settings are read when each run starts, so a wrong one fails that run, not start-up.
    this.runs = options.runs ?? new RunRegistry({ store });
  }

  /** Stop in the order above; `closeConnections` closes the transport's own part. Single flight. */
  close(closeConnections: () => Promise<void> = async () => {}): Promise<void> {
    this.closing ??= (async () => {
      await this.runs.close().catch((error) => log.warn({ err: error }, "stopping the runs"));
      await closeConnections().catch((error) => log.warn({ err: error }, "closing the connections"));
      this.stopSweep();
      this.hub.close();
    })();
    return this.closing;
  }
}

/** A transport being served: how to stop it, and (stdio) a promise that resolves if it ends by itself. */
export interface Serving {
  ended?: Promise<string> | undefined;
  close(): Promise<void>;
}

/** How long the shutdown after a broken invariant may take before the process exits anyway. */
const BROKEN_SHUTDOWN_MS = 15_000;

type Stop = { why: string; code: 0 | 1 };

/**
 * Serve until told to stop (see above), shut down, close the store, exit. `start` runs after the
 * stop handlers are in place, so a rejection during start-up also goes through the shutdown.
 */
export async function serveProcess(store: TaskStore, start: () => Promise<Serving>): Promise<never> {
  let stop!: (s: Stop) => void;
  const stopped = new Promise<Stop>((resolve) => {
    stop = resolve;
  });
  process.once("SIGTERM", () => stop({ why: "SIGTERM", code: 0 }));
  process.once("SIGINT", () => stop({ why: "SIGINT", code: 0 }));
  const broken = (kind: string) => (error: unknown) => {
    log.error({ err: error }, `${kind}: stopping, as the server's state is no longer known`);
    stop({ why: kind, code: 1 });
  };
  process.on("unhandledRejection", broken("unhandled rejection"));
  process.on("uncaughtException", broken("uncaught exception"));

  let serving: Serving;
  try {
    serving = await start();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  void serving.ended?.then((why) => stop({ why, code: 0 }));

  const { why, code } = await stopped;
  log.info({ why }, "stopping: runs first, then connections, then the store");
  const force = () => {
    log.warn("second signal: exiting without waiting");
    process.exit(1);
  };
  process.once("SIGTERM", force);
  process.once("SIGINT", force);
  if (code !== 0) setTimeout(() => process.exit(code), BROKEN_SHUTDOWN_MS).unref();
  await serving.close().catch((error) => log.warn({ err: error }, "stopping the server"));
  await store.close().catch((error) => log.warn({ err: error }, "closing the store"));
  log.info({ why }, "stopped");
  // Whatever else is still scheduled (a retry timer, a poll) must not keep a client-less server alive.
  process.exit(code);
}
