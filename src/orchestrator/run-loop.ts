/**
 * The Ralph loop, one run of it:
 *
 *   claim the next task → execute and verify it (attempt.ts) → apply the outcome: complete it, or
 *   retry it with the feedback, or fail it (outcome.ts) → circuit breaker → next.
 *
 * A run is a record in the store (run-001, …) kept up to date as it works (run-record.ts), and a
 * handle in this process: progress events, its final record, and cancel. Cancelling — or the
 * wall-clock limit arriving mid-execution — kills the current execution (its process tree) and puts
 * its task back in line with the attempt given back (store.release). While a task executes its
 * lease is renewed (lease.ts), and the run's heartbeat refreshes its record, reports progress, and
 * picks up a cancel requested by another process.
 *
 * Claims are atomic in the store, so two runs (in one process or many) never execute one task at once.
 */
import type { Run, RunCurrent, RunStats, RunStatus } from "../domain/run.js";
import { emptyRunStats } from "../domain/run.js";
import type { Task } from "../domain/task.js";
import { log } from "../log.js";
import type { TaskStore } from "../store/types.js";
import { executeAndVerify } from "./attempt.js";
import { CircuitBreaker } from "./circuit-breaker.js";
import { claimFor, dispatch } from "./dispatch.js";
import { formatDuration, oneLine } from "./format.js";
import { retryDelay } from "./options.js";
import { applyOutcome } from "./outcome.js";
import { StreamedOutput } from "./output-tail.js";
import { spend } from "./pricing.js";
import { ProgressFeed, startRunTimers, workingMessage } from "./progress.js";
import { createRunRecord, RunRecorder } from "./run-record.js";
import { abortedStop, type Stop, statusFor } from "./stop.js";
import type { ProgressKind, ProgressListener, RunHandle, RunParts, StartOptions } from "./types.js";
import { WorkerSlots } from "./workers.js";

/** Create the run's record and start its loop in the background. */
export async function startRun(parts: RunParts, options: StartOptions = {}): Promise<RunHandle> {
  const record = await createRunRecord(
    parts.store.runs,
    {
      max_tasks: parts.maxTasks,
      settings: {
        executor: parts.executor.kind,
        verifier: parts.verifier.kind,
        model: parts.executor.model ?? null,
        verifier_model: parts.verifier.model ?? null,
        limits: parts.limits,
        parallel: parts.parallel,
        ...parts.settings,
      },
    },
    parts.staleRunMs,
  );
  const run = new ActiveRun(parts, record);
  if (options.onProgress) run.onProgress(options.onProgress);
  run.begin(options.signal);
  return run;
}

class ActiveRun implements RunHandle {
  readonly id: string;
  readonly workerId: string;
  readonly done: Promise<Run>;

  private readonly store: TaskStore;
  private readonly breaker: CircuitBreaker;
  private readonly recorder: RunRecorder;
  private readonly controller = new AbortController();
  private readonly feed = new ProgressFeed();
  private readonly processed = new Set<string>();
  /** The worker each task under way is in, for its events. */
  private readonly slotOf = new Map<string, number>();
  private readonly startedAt: number;
  private stats: RunStats = emptyRunStats();
  /** The breaker's cooldown, while the run waits it out. */
  private cooldown: RunCurrent | null = null;
  private readonly workers: WorkerSlots;
  /** A store failure in a worker: it ends the run. */
  private failure: { error: unknown } | null = null;
  private status: RunStatus = "running";
  private stop: Stop | null = null;
  private finishedAt: string | null = null;
  private stopTimers: () => void = () => {};
  private readonly releasedTasks: string[] = [];
  /** Tasks this run sent back backing off, and when their time comes (clock ms). */
  private readonly backoff = new Map<string, number>();
  private resolveDone!: (run: Run) => void;

  constructor(
    private readonly parts: RunParts,
    private readonly record: Run,
  ) {
    this.id = record.id;
    this.workerId = record.worker_id;
    this.store = parts.store;
    this.startedAt = parts.clock.now();
    this.breaker = new CircuitBreaker(parts.limits, parts.clock);
    this.workers = new WorkerSlots(Math.max(1, parts.parallel));
    this.recorder = new RunRecorder(parts.store.runs, record.id, {
      onCancelRequested: () => this.cancel("Cancelled by a request from another process"),
      onEndedElsewhere: (why) => {
        log.warn({ run: this.id }, `${why} Stopping the run here.`);
        this.abort({ code: "cancelled", reason: `Stopped: another process ended its record (${why})` });
      },
    });
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  // ------------------------------------------------------------ handle

  snapshot(): Run {
    return {
      ...this.record,
      status: this.status,
      stop_code: this.stop?.code ?? null,
      stop_reason: this.stop?.reason ?? null,
      stats: { ...this.stats, tokens: { ...this.stats.tokens } },
      current: this.current(),
      updated_at: new Date().toISOString(),
      finished_at: this.finishedAt,
    };
  }

  /** What the run is doing: its first busy worker, or its cooldown. */
  private current(): RunCurrent | null {
    const first = this.workers.states()[0];
    if (first) {
      const { worker: _, ...current } = first;
      return current;
    }
    return this.cooldown ? { ...this.cooldown } : null;
  }

  cancel(reason = "Cancelled"): void {
    this.abort({ code: "cancelled", reason });
  }

  onProgress(listener: ProgressListener): () => void {
    return this.feed.on(listener);
  }

  begin(signal: AbortSignal | undefined): void {
    if (signal) {
      const onAbort = () => this.cancel("Cancelled by the caller");
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener("abort", onAbort, { once: true });
        void this.done.then(() => signal.removeEventListener("abort", onAbort));
      }
    }
    void this.loop().then(this.resolveDone);
  }

  // ------------------------------------------------------------ loop

  private async loop(): Promise<Run> {
    const { executor, verifier, maxTasks } = this.parts;
    this.emit(
      "started",
      `${this.id} started: up to ${maxTasks} task${maxTasks === 1 ? "" : "s"}, executor ${executor.kind}${executor.model ? ` (${executor.model})` : ""}, verifier ${verifier.kind}`,
    );
    this.startTimers();
    let stop: Stop;
    try {
      stop = await this.work();
    } catch (error) {
      log.error({ err: error, run: this.id }, "run stopped by an error");
      const message = error instanceof Error ? error.message : String(error);
      stop = { code: "error", reason: `Stopped by an error: ${message}` };
    }
    return this.finish(stop);
  }

  private work(): Promise<Stop> {
    return dispatch({
      workers: this.workers,
      breaker: this.breaker,
      maxIterations: this.parts.limits.maxIterations,
      signal: this.controller.signal,
      failure: () => this.failure,
      aborted: () => this.abortStop(),
      cooldown: (until, reason) => this.waitCooldown(until, reason),
      backoff: () => this.waitBackoff(),
      claim: () =>
        claimFor({
          store: this.store,
          workerId: this.workerId,
          leaseMs: this.parts.leaseMs,
          maxTasks: this.parts.maxTasks,
          processed: this.processed,
          signal: this.controller.signal,
          aborted: () => this.abortStop(),
        }),
      start: (task) => this.startAttempt(task),
    });
  }

  private async waitCooldown(until: number, reason: string): Promise<void> {
    const waitMs = Math.max(0, until - this.parts.clock.now());
    this.cooldown = { task_id: null, attempt: null, phase: "cooldown", since: new Date().toISOString() };
    this.emit(
      "cooldown",
      `Circuit breaker open: ${reason} One trial execution in ${formatDuration(waitMs)}.`,
    );
    try {
      await this.parts.clock.sleep(waitMs, this.controller.signal);
    } catch {
      // Cancelled while waiting: the next turn stops.
    }
    this.cooldown = null;
  }

  /**
   * Nothing is ready, but tasks this run sent back are backing off: wait for the first one's time
   * (or the run's end) and say so; false when none is (the run can end).
   */
  private async waitBackoff(): Promise<boolean> {
    const now = this.parts.clock.now();
    for (const [id, at] of this.backoff) if (at <= now) this.backoff.delete(id);
    if (this.backoff.size === 0) return false;
    const [id, at] = [...this.backoff].sort((a, b) => a[1] - b[1])[0] as [string, number];
    this.cooldown = { task_id: null, attempt: null, phase: "backoff", since: new Date().toISOString() };
    this.emit("backoff", `Nothing else is ready: waiting ${formatDuration(at - now)} for ${id}'s retry.`);
    try {
      await this.parts.clock.sleep(at - now, this.controller.signal);
    } catch {
      // Stopped while waiting: the next turn ends the run.
    }
    this.backoff.delete(id);
    this.cooldown = null;
    return true;
  }

  private abortStop(): Stop {
    return abortedStop(this.controller.signal.reason as Stop, this.releasedTasks);
  }

  private abort(stop: Stop): void {
    if (!this.controller.signal.aborted && this.status === "running") this.controller.abort(stop);
  }

  /** Start an attempt at a claimed task in a free worker. */
  private startAttempt(task: Task): void {
    const attempt = task.attempts;
    this.processed.add(task.id);
    this.stats.processed = this.processed.size;
    this.stats.executions += 1;
    const slot = this.workers.free() as number;
    this.slotOf.set(task.id, slot);
    const state = { task_id: task.id, attempt, phase: "executing" as const, since: new Date().toISOString() };
    this.workers.start(slot, state, () =>
      this.attempt(task, slot)
        .catch((error: unknown) => {
          this.failure ??= { error };
          const message = error instanceof Error ? error.message : String(error);
          this.abort({ code: "error", reason: `Stopped by an error: ${message}` });
        })
        .finally(() => this.slotOf.delete(task.id)),
    );
    this.emit(
      "claimed",
      `${task.id} attempt ${attempt}/${task.max_attempts}: executing — ${oneLine(task.description, 60)}`,
      task.id,
      attempt,
    );
  }

  /** One attempt (execute and verify), then its outcome applied. */
  private async attempt(task: Task, slot: number): Promise<void> {
    const { executor, verifier, clock } = this.parts;
    const attempt = task.attempts;
    const outcome = await executeAndVerify(task, {
      executor,
      verifier,
      runId: this.id,
      workerId: this.workerId,
      leaseMs: this.parts.leaseMs,
      store: this.store,
      now: () => clock.now(),
      runSignal: this.controller.signal,
      onVerifying: () => {
        this.workers.update(slot, { phase: "verifying" });
        this.emit(
          "verifying",
          `${task.id} attempt ${attempt}: verifying (${verifier.kind})`,
          task.id,
          attempt,
        );
      },
      spend: (tokens, model) => spend(this.stats, this.parts.prices, tokens, model),
      workspaces: this.parts.workspaces,
      output: new StreamedOutput({ task_id: task.id, attempt, worker: slot }, (o) =>
        this.store.runs.saveOutput(this.id, o),
      ),
      verifyAfterMerge: this.parts.verifyAfterMerge,
      onMerging: () => {
        this.workers.update(slot, { phase: "merging" });
        this.emit("merging", `${task.id} attempt ${attempt}: passed; merging its work`, task.id, attempt);
      },
    });
    this.workers.idle(slot);
    // A setting error stops the run at once: every worker's execution, not only this one.
    if (outcome.kind === "cannot_start") this.abort({ code: "setting_error", reason: outcome.reason });
    await applyOutcome(task, outcome, {
      store: this.store,
      workerId: this.workerId,
      breaker: this.breaker,
      runId: this.id,
      stats: this.stats,
      emit: (kind, message, taskId, n) => this.emit(kind, message, taskId, n),
      released: (taskId) => {
        this.releasedTasks.push(taskId);
      },
      retryDelayMs: (n) => retryDelay(n, this.parts.retryDelayMs, this.parts.retryDelayMaxMs),
      backedOff: (taskId, delayMs) => this.backoff.set(taskId, this.parts.clock.now() + delayMs),
    });
  }

  // ------------------------------------------------------------ timers, progress, persistence

  private startTimers(): void {
    this.stopTimers = startRunTimers({
      heartbeatMs: this.parts.heartbeatMs,
      clock: this.parts.clock,
      remainingMs: this.breaker.remainingMs(),
      onHeartbeat: () => {
        const busy = this.workers.states();
        const first = busy[0];
        if (first) this.emit("working", workingMessage(busy), first.task_id, first.attempt);
        else this.persist();
      },
      // The wall-clock limit also stops the executions still going when it arrives.
      onDeadline: () =>
        this.abort({
          code: "wall_clock",
          reason: `Reached the wall-clock limit of ${formatDuration(this.parts.limits.maxWallClockMs)} for one run`,
        }),
    });
  }

  private elapsed(): number {
    return Math.round((this.parts.clock.now() - this.startedAt) / 10) / 100;
  }

  private emit(
    kind: ProgressKind,
    message: string,
    taskId: string | null = null,
    attempt: number | null = null,
  ): void {
    // Once the run has ended its stats are final: the last event carries exactly what finish() saved.
    if (this.status === "running") this.stats.elapsed_seconds = this.elapsed();
    this.feed.send({
      kind,
      message,
      task_id: taskId,
      attempt,
      worker: taskId === null ? null : (this.slotOf.get(taskId) ?? null),
      run: this.snapshot(),
      workers: this.workers.states(),
    });
    if (kind !== "stopped") this.persist();
  }

  /** Save the run's state now (the recorder keeps the writes in order). */
  private persist(): void {
    if (this.status !== "running") return;
    this.stats.elapsed_seconds = this.elapsed();
    this.recorder.save({
      stats: { ...this.stats, tokens: { ...this.stats.tokens } },
      current: this.current(),
    });
  }

  private async finish(stop: Stop): Promise<Run> {
    this.stopTimers();
    await this.parts.workspaces?.close?.().catch((error: unknown) => {
      log.warn({ err: error, run: this.id }, "could not remove the run's worktrees");
    });
    this.stop = stop;
    this.stats.stop_reason = stop.reason;
    this.stats.elapsed_seconds = this.elapsed();
    this.cooldown = null;
    this.status = statusFor(stop.code);
    this.finishedAt = new Date().toISOString();
    const snapshot = this.snapshot();
    const final = await this.recorder.finish(
      {
        status: snapshot.status,
        stop_code: snapshot.stop_code,
        stop_reason: snapshot.stop_reason,
        stats: snapshot.stats,
        current: null,
        finished_at: snapshot.finished_at,
      },
      snapshot,
    );
    this.emit("stopped", `${this.id} ${final.status}: ${stop.reason}`);
    this.feed.clear();
    return final;
  }
}
