/**
 * Updates of `task://runs/{id}`. A run's record changes apart from the queue (its heartbeat, its
 * stats), so these updates come from the run registry, not the ChangeHub: for each run URI a
 * connection watches, `runs.watch()` reports every change — live for a run of this process, read
 * from the store for one of another process (e.g. `ralph-mcp run` in a terminal).
 */
import type { RunRegistry } from "../orchestrator/registry.js";
import { RUN_URI_PREFIX, runUri } from "./changes.js";
import type { UpdateSource } from "./subscriptions.js";

const RUN_URI = /^task:\/\/runs\/run-\d{1,15}$/;

const isRunUri = (uri: string): boolean => RUN_URI.test(uri);

export class RunUpdates implements UpdateSource {
  readonly pattern = `${RUN_URI_PREFIX}{id}`;
  /** Watched run URI → the function that stops watching it. */
  private readonly watches = new Map<string, () => void>();
  private stopAll: (() => void) | null = null;

  constructor(
    private readonly runs: RunRegistry,
    private readonly send: (uri: string) => void,
  ) {}

  accepts(uri: string): boolean {
    return isRunUri(uri);
  }

  sync(uris: ReadonlySet<string> | "all"): void {
    if (uris === "all") {
      this.stopAll ??= this.runs.onAnyRun((run) => this.send(runUri(run.id)));
      return;
    }
    for (const [uri, stop] of this.watches) {
      if (!uris.has(uri)) {
        stop();
        this.watches.delete(uri);
      }
    }
    for (const uri of uris) {
      if (!isRunUri(uri) || this.watches.has(uri)) continue;
      this.watches.set(
        uri,
        this.runs.watch(uri.slice(RUN_URI_PREFIX.length), () => this.send(uri)),
      );
    }
  }

  close(): void {
    for (const stop of this.watches.values()) stop();
    this.watches.clear();
    this.stopAll?.();
    this.stopAll = null;
  }
}

/**
 * For an HTTP entry serving the 2026-07-28 era (createMcpHandler): publish every change of this
 * process's runs on its listen bus, `handler.notify`; the bus delivers only what listeners asked for.
 */
export function forwardRunsToNotifier(
  runs: RunRegistry,
  notifier: { resourceUpdated(uri: string): void },
): () => void {
  return runs.onAnyRun((run) => notifier.resourceUpdated(runUri(run.id)));
}
