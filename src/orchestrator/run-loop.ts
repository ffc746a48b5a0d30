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
import { formatDuration, oneLine } from "./format.js";
import { applyOutcome, held, isConflict } from "./outcome.js";
import { addTokens, costOf } from "./pricing.js";
import { createRunRecord, RunRecorder } from "./run-record.js";
import { abortedStop, maxTasksStop, queueEmptyStop, type Stop, statusFor } from "./stop.js";
import type {
  ProgressKind,
  ProgressListener,
  RunHandle,
  RunParts,
  RunProgress,
  StartOptions,
  TokenUsage,
} from "./types.js";

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

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
  private readonly listeners = new Set<ProgressListener>();
  private readonly processed = new Set<string>();
  private readonly startedAt: number;
  private stats: RunStats = emptyRunStats();
  private current: RunCurrent | null = null;
  private status: RunStatus = "running";
  private stop: Stop | null = null;
  private finishedAt: string | null = null;
  private seq = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly deadline = new AbortController();
  private releasedTask: string | null = null;
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
      current: this.current ? { ...this.current } : null,
      updated_at: new Date().toISOString(),
      finished_at: this.finishedAt,
    };
  }

  cancel(reason = "Cancelled"): void {
    this.abort({ code: "cancelled", reason });
  }

  onProgress(listener: ProgressListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
      stop = { code: "error", reason: `Stopped by an error: ${errorMessage(error)}` };
    }
    return this.finish(stop);
  }

  private async work(): Promise<Stop> {
    for (;;) {
      if (this.controller.signal.aborted) return this.abortStop();
      const decision = this.breaker.check();
      if (decision.kind === "stop") return decision;
      if (decision.kind === "wait") {
        const waitMs = Math.max(0, decision.until - this.parts.clock.now());
        this.current = { task_id: null, attempt: null, phase: "cooldown", since: new Date().toISOString() };
        this.emit(
          "cooldown",
          `Circuit breaker open: ${decision.reason} One trial execution in ${formatDuration(waitMs)}.`,
        );
        try {
          await this.parts.clock.sleep(waitMs, this.controller.signal);
        } catch {
          // Cancelled while waiting: the next turn stops.
        }
        this.current = null;
        continue;
      }
      const claimed = await this.claim();
      if ("code" in claimed) return claimed;
      await this.attempt(claimed);
    }
  }

  private abortStop(): Stop {
    return abortedStop(this.controller.signal.reason as Stop, this.releasedTask);
  }

  private abort(stop: Stop): void {
    if (!this.controller.signal.aborted && this.status === "running") this.controller.abort(stop);
  }

  /** The next task, or why there is none for this run. */
  private async claim(): Promise<Task | Stop> {
    const { maxTasks, leaseMs } = this.parts;
    const atCap = this.processed.size >= maxTasks;
    const capStop = maxTasksStop(maxTasks);
    if (atCap) {
      // Past the cap the run only goes on with tasks it already took on (their retries).
      const next = await this.store.peekNext();
      if (!next || !this.processed.has(next.id)) return capStop;
    }
    const task = await this.store.claimNext({ workerId: this.workerId, leaseMs });
    if (!task) return this.queueEmpty();
    if (this.controller.signal.aborted || (atCap && !this.processed.has(task.id))) {
      try {
        await this.store.release(task.id, held(this.workerId));
      } catch (error) {
        if (!isConflict(error)) throw error;
        // Someone decided about it in the meantime: it is not ours to give back.
      }
      return this.controller.signal.aborted ? this.abortStop() : capStop;
    }
    return task;
  }

  private async queueEmpty(): Promise<Stop> {
    return queueEmptyStop(await this.store.stats());
  }

  /** One attempt at a claimed task (execute and verify), then its outcome applied. */
  private async attempt(task: Task): Promise<void> {
    const { executor, verifier, clock } = this.parts;
    const attempt = task.attempts;
    this.processed.add(task.id);
    this.stats.processed = this.processed.size;
    this.stats.executions += 1;
    this.current = { task_id: task.id, attempt, phase: "executing", since: new Date().toISOString() };
    this.emit(
      "claimed",
      `${task.id} attempt ${attempt}/${task.max_attempts}: executing — ${oneLine(task.description, 60)}`,
      task.id,
      attempt,
    );
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
        if (this.current) this.current = { ...this.current, phase: "verifying" };
        this.emit(
          "verifying",
          `${task.id} attempt ${attempt}: verifying (${verifier.kind})`,
          task.id,
          attempt,
        );
      },
      spend: (tokens, model) => this.count(tokens, model),
    });
    this.current = null;
    await applyOutcome(task, outcome, {
      store: this.store,
      workerId: this.workerId,
      breaker: this.breaker,
      runId: this.id,
      stats: this.stats,
      emit: (kind, message, taskId, n) => this.emit(kind, message, taskId, n),
      released: (taskId) => {
        this.releasedTask = taskId;
      },
    });
  }

  /** Add tokens and their cost to the stats; returns the cost. */
  private count(tokens: TokenUsage | undefined, model: string | undefined): number {
    if (!tokens) return 0;
    this.stats.tokens = addTokens(this.stats.tokens, tokens);
    const cost = costOf(this.parts.prices, model, tokens);
    this.stats.cost_usd = Math.round((this.stats.cost_usd + cost) * 1e6) / 1e6;
    return cost;
  }

  // ------------------------------------------------------------ timers, progress, persistence

  private startTimers(): void {
    const { clock, heartbeatMs } = this.parts;
    this.heartbeat = setInterval(() => {
      if (this.current?.task_id) {
        const c = this.current;
        const since = formatDuration(Math.max(0, Date.now() - Date.parse(c.since)));
        this.emit(
          "working",
          `${c.task_id} attempt ${c.attempt}: ${c.phase} for ${since}`,
          c.task_id,
          c.attempt,
        );
      } else {
        this.persist();
      }
    }, heartbeatMs);
    // The wall-clock limit also stops an execution still going when it arrives.
    clock.sleep(this.breaker.remainingMs(), this.deadline.signal).then(
      () =>
        this.abort({
          code: "wall_clock",
          reason: `Reached the wall-clock limit of ${formatDuration(this.parts.limits.maxWallClockMs)} for one run`,
        }),
      () => {},
    );
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
    this.seq += 1;
    const event: RunProgress = {
      seq: this.seq,
      kind,
      message,
      task_id: taskId,
      attempt,
      run: this.snapshot(),
    };
    log.debug({ run: this.id, kind, task: taskId }, message);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        log.warn({ err: error }, "a progress listener failed");
      }
    }
    if (kind !== "stopped") this.persist();
  }

  /** Save the run's state now (the recorder keeps the writes in order). */
  private persist(): void {
    if (this.status !== "running") return;
    this.stats.elapsed_seconds = this.elapsed();
    this.recorder.save({ stats: { ...this.stats, tokens: { ...this.stats.tokens } }, current: this.current });
  }

  private async finish(stop: Stop): Promise<Run> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.deadline.abort();
    this.stop = stop;
    this.stats.stop_reason = stop.reason;
    this.stats.elapsed_seconds = this.elapsed();
    this.current = null;
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
    this.listeners.clear();
    return final;
  }
}
