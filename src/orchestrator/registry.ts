/**
 * The runs of this process, for the MCP layer (`run_orchestrator`, `task://runs/{id}`) and anyone
 * else who starts runs in the background:
 *
 *   const runs = new RunRegistry({ store });                 // options: loadOrchestratorOptions()
 *   const run = await runs.start({ maxTasks: 10, signal, onProgress, sampling });
 *   run.id;                                                  // "run-007", at once
 *   await run.done;                                          // the final Run: stats, stop_reason
 *   runs.watch("run-007", (r) => …);                         // every change of a run
 *   await runs.cancel("run-007");                            // kill the execution, task back in line
 *   await runs.get("run-003");                               // any run, live or from the store
 *
 * Settings are read when a run starts (the `options` function is called then), so a wrong setting
 * fails that start with a ConfigError naming it, not the server's start-up. Executor and verifier
 * commands come only from those settings: nothing a caller passes to start() can name a command.
 */
import { ConflictError, isRalphError } from "../domain/errors.js";
import { abandonRun, isFinalRunStatus, type Run } from "../domain/run.js";
import { Emitter } from "../emitter.js";
import { log } from "../log.js";
import type { TaskStore } from "../store/types.js";
import { OrchestratorBuilder, type RunParams } from "./builder.js";
import { systemClock } from "./clock.js";
import { loadOrchestratorOptions } from "./config.js";
import type { CreateMessage } from "./executors/sampling.js";
import { DEFAULT_OPTIONS, type OrchestratorOptions } from "./options.js";
import type { Clock, RunHandle } from "./types.js";

export interface RunRegistryOptions {
  store: TaskStore;
  /** Settings, or a function that reads them at each start. Default: loadOrchestratorOptions(). */
  options?: OrchestratorOptions | (() => OrchestratorOptions) | undefined;
  /** Working directory of executor and verifier commands. */
  cwd?: string | undefined;
  clock?: Clock | undefined;
  /** How often watch() reads a run of another process from the store, in ms. Default 1000. */
  watchPollMs?: number | undefined;
}

export interface StartRunParams extends RunParams {
  /** The MCP client's sampling, when it offers it; needed for RALPH_EXECUTOR=sampling. */
  sampling?: CreateMessage | undefined;
  /** Who asked for the run (an MCP caller's worker id; with OAuth `oauth:<subject>`), kept as settings.started_by. */
  startedBy?: string | undefined;
}

export type RunListener = (run: Run) => void;

export class RunRegistry {
  private readonly active = new Map<string, RunHandle>();
  /** Starts under way that have no handle yet (they count against maxActiveRuns). */
  private starting = 0;
  private readonly everyRun = new Emitter<Run>((error) => log.warn({ err: error }, "a run listener failed"));
  private readonly store: TaskStore;

  constructor(private readonly config: RunRegistryOptions) {
    this.store = config.store;
  }

  private options(): OrchestratorOptions {
    const o = this.config.options;
    return typeof o === "function" ? o() : (o ?? loadOrchestratorOptions());
  }

  /**
   * Start a run in the background. Resolves with its handle as soon as the run has an id (its
   * record is in the store); rejects with a ConfigError when the settings are wrong, and with a
   * ConflictError naming the working run(s) when maxActiveRuns runs of this process are working.
   */
  async start(params: StartRunParams = {}): Promise<RunHandle> {
    const options = this.options();
    this.assertRoom(options.maxActiveRuns);
    this.starting += 1;
    let handle: RunHandle;
    try {
      const orchestrator = OrchestratorBuilder.fromOptions(this.store, options, {
        sampling: params.sampling,
        cwd: this.config.cwd,
      })
        .withClock(this.config.clock ?? systemClock)
        .withSettings(params.startedBy === undefined ? {} : { started_by: params.startedBy })
        .build();
      handle = await orchestrator.start(params);
    } finally {
      this.starting -= 1;
    }
    this.active.set(handle.id, handle);
    handle.onProgress((event) => {
      if (event.kind !== "stopped") this.tell(event.run);
    });
    void handle.done.then((final) => {
      this.active.delete(handle.id);
      this.tell(final);
    });
    return handle;
  }

  /** Refuse a start beyond maxActiveRuns, naming the run that is working and how to follow or stop it. */
  private assertRoom(max: number): void {
    if (this.active.size + this.starting < max) return;
    const limit = `at most ${max} active run${max === 1 ? "" : "s"} per server (maxActiveRuns, RALPH_MAX_ACTIVE_RUNS)`;
    const working = [...this.active.keys()];
    const id = working[0];
    if (id === undefined) {
      throw new ConflictError(`Another run is starting on this server; ${limit}. Try again in a moment.`);
    }
    throw new ConflictError(
      `${working.join(", ")} ${working.length === 1 ? "is" : "are"} already working; ${limit}. ` +
        `Follow it with run_orchestrator {"run_id": "${id}"} or by reading task://runs/${id}, ` +
        `or stop it with run_orchestrator {"run_id": "${id}", "cancel": true}; then start a new run.`,
    );
  }

  /**
   * Call `listener` with every change of every run this process starts from now on (the final
   * record last), e.g. to announce `task://runs/{id}` updates to whoever listens. Returns the
   * function that stops it.
   */
  onAnyRun(listener: RunListener): () => void {
    return this.everyRun.on(listener);
  }

  private tell(run: Run): void {
    this.everyRun.emit(run);
  }

  /** The handle of a run working in this process, if it is one. */
  handle(id: string): RunHandle | undefined {
    return this.active.get(id);
  }

  /** Runs working in this process. */
  list(): RunHandle[] {
    return [...this.active.values()];
  }

  /**
   * A run as it is now: live for a run of this process, else from the store (NotFoundError if
   * none). A run of another process whose heartbeat is older than staleRunMs is reported — and
   * marked — abandoned: its process was killed or lost and will never end it.
   */
  async get(id: string): Promise<Run> {
    return this.active.get(id)?.snapshot() ?? this.stored(id.trim());
  }

  /** The configured staleRunMs; the default when the settings cannot be read (reading a run must not fail on them). */
  private staleRunMs(): number {
    try {
      return this.options().staleRunMs;
    } catch {
      return DEFAULT_OPTIONS.staleRunMs;
    }
  }

  private async stored(id: string): Promise<Run> {
    const run = await this.store.runs.get(id);
    if (run.status !== "running" || this.active.has(run.id)) return run;
    const staleMs = this.staleRunMs();
    // Judged on the store's clock, the one the heartbeat was written with (not this machine's).
    const age = async (r: Run) => (await this.store.runs.now()) - Date.parse(r.updated_at);
    if ((await age(run)) <= staleMs) return run;
    try {
      await this.store.runs.abandonStale(staleMs);
      const after = await this.store.runs.get(id);
      if (after.status !== "running" || (await age(after)) <= staleMs) return after;
    } catch (error) {
      log.warn({ err: error, run: run.id }, "could not mark a stale run as abandoned");
    }
    // Not marked (the store refused the write): report it as what it is all the same.
    return abandonRun(run, Date.parse(run.updated_at));
  }

  /**
   * Cancel a run. One of this process stops at once (its execution killed, its task put back in
   * line) and this resolves with its final record; one of another process gets a cancel request
   * it acts on at its next heartbeat, and this resolves with the record as it is.
   */
  async cancel(id: string, reason = "Cancelled"): Promise<Run> {
    const handle = this.active.get(id);
    if (handle) {
      handle.cancel(reason);
      return handle.done;
    }
    return this.store.runs.requestCancel(id.trim());
  }

  /**
   * Call `listener` with the run each time it changes, until it ends (the final record is the last
   * call) or until the returned function is called. A run of another process is read from the store
   * every `watchPollMs` (the first read is reported at once), and ends as abandoned once its
   * heartbeat is older than staleRunMs; watching a run that does not exist stops at the first read.
   */
  watch(id: string, listener: RunListener): () => void {
    let stopped = false;
    const safe = (run: Run) => {
      if (stopped) return;
      try {
        listener(run);
      } catch (error) {
        log.warn({ err: error }, "a run listener failed");
      }
    };
    const handle = this.active.get(id);
    if (handle) {
      // The final record comes from `done` (as stored), so the "stopped" event is skipped.
      const off = handle.onProgress((event) => {
        if (event.kind !== "stopped") safe(event.run);
      });
      void handle.done.then((final) => {
        safe(final);
        stopped = true;
      });
      return () => {
        stopped = true;
        off();
      };
    }
    let last = "";
    const poll = async () => {
      if (stopped) return;
      try {
        const run = await this.stored(id.trim());
        const seen = `${run.status} ${run.updated_at}`;
        if (seen !== last) {
          last = seen;
          safe(run);
        }
        if (isFinalRunStatus(run.status)) stopped = true;
      } catch (error) {
        if (isRalphError(error) && error.code === "not_found") stopped = true;
        else log.warn({ err: error, run: id }, "could not read the run");
      }
    };
    const timer = setInterval(() => {
      if (stopped) clearInterval(timer);
      else void poll();
    }, this.config.watchPollMs ?? 1000);
    timer.unref();
    void poll();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }

  /** Cancel every run of this process and wait for them to end (server shutdown). */
  async close(): Promise<void> {
    const handles = [...this.active.values()];
    for (const h of handles) h.cancel("The server is shutting down");
    await Promise.all(handles.map((h) => h.done));
  }
}
