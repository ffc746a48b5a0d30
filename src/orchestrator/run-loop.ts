/**
 * The Ralph loop, one run of it:
 *
 *   claim the next task → execute it → verify the output → complete it, or retry it with the
 *   verifier's feedback (failed for good once its attempts are spent) → circuit breaker → next.
 *
 * A run is a record in the store (run-001, …) kept up to date as it works, and a handle in this
 * process: progress events, its final record, and cancel. Cancelling — or the wall-clock limit
 * arriving mid-execution — kills the current execution (its process tree) and puts its task back
 * in line with the attempt given back (store.release). While a task executes its lease is renewed,
 * and the run's heartbeat refreshes its record, reports progress, and picks up a cancel requested
 * by another process.
 *
 * Claims are atomic in the store, so two runs (in one process or many) never execute one task at once.
 */
import { hostname } from "node:os";
import { isRalphError } from "../domain/errors.js";
import type { Run, RunCurrent, RunStats, RunStatus, StopCode } from "../domain/run.js";
import { emptyRunStats } from "../domain/run.js";
import { LIMITS, type Task } from "../domain/task.js";
import { log } from "../log.js";
import type { TaskStore } from "../store/types.js";
import { CircuitBreaker, formatDuration } from "./circuit-breaker.js";
import type { BreakerLimits, PriceTable } from "./options.js";
import { addTokens, costOf } from "./pricing.js";
import { buildPrompt } from "./prompt.js";
import type {
  Clock,
  ExecutionResult,
  Executor,
  ProgressKind,
  ProgressListener,
  RunProgress,
  TokenUsage,
  Verdict,
  Verifier,
} from "./types.js";

/** A run in this process. */
export interface RunHandle {
  readonly id: string;
  /** The worker id its claims carry (`run-007@host:pid`). */
  readonly workerId: string;
  /** The run as it is now (status, stats, current task). */
  snapshot(): Run;
  /** The final record, once the run has ended. Never rejects (a failure ends the run with status "error"). */
  readonly done: Promise<Run>;
  /**
   * Stop the run: the current execution's process tree is killed and its task put back in line.
   * Returns at once; await `done` for the end.
   */
  cancel(reason?: string): void;
  /** Listen to its progress; returns the unsubscribe function. */
  onProgress(listener: ProgressListener): () => void;
}

/** Everything one run is made of; the builder and the registry fill it in. */
export interface RunParts {
  store: TaskStore;
  executor: Executor;
  verifier: Verifier;
  limits: BreakerLimits;
  prices: PriceTable;
  clock: Clock;
  maxTasks: number;
  leaseMs: number;
  heartbeatMs: number;
  staleRunMs: number;
  /** Shown in the run record's settings, next to executor, verifier and limits. */
  settings?: Record<string, unknown>;
}

export interface StartOptions {
  /** Aborting it cancels the run (e.g. the MCP request was cancelled). */
  signal?: AbortSignal | undefined;
  onProgress?: ProgressListener | undefined;
}

interface Stop {
  code: StopCode;
  reason: string;
}

function statusFor(code: StopCode): RunStatus {
  switch (code) {
    case "queue_empty":
    case "max_tasks":
      return "finished";
    case "cancelled":
      return "cancelled";
    case "error":
      return "error";
    case "abandoned":
      return "abandoned";
    default:
      return "stopped";
  }
}

function oneLine(text: string, max = 100): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** The task is no longer this run's: someone else decided about it while the attempt ran. */
function isConflict(error: unknown): boolean {
  return isRalphError(error) && error.code === "conflict";
}

/** Saving the run failed because its record has already ended (another process abandoned or ended it). */
function isEndedElsewhere(error: unknown): error is Error {
  return isRalphError(error) && error.code === "invalid_transition";
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The verifier's verdict as the next attempt reads it. */
export function verdictFeedback(verdict: Verdict): string {
  const text = verdict.feedback.trim() || "The result did not pass the check.";
  const issues =
    verdict.issues.length > 0 ? `\nIssues:\n${verdict.issues.map((i) => `- ${i}`).join("\n")}` : "";
  return `${text}${issues}`;
}

/** Create the run's record and start its loop in the background. */
export async function startRun(parts: RunParts, options: StartOptions = {}): Promise<RunHandle> {
  try {
    await parts.store.runs.abandonStale(parts.staleRunMs);
  } catch (error) {
    log.warn({ err: error }, "could not mark stale runs as abandoned");
  }
  const record = await parts.store.runs.create({
    max_tasks: parts.maxTasks,
    owner: `${hostname()}:${process.pid}`,
    settings: {
      executor: parts.executor.kind,
      verifier: parts.verifier.kind,
      model: parts.executor.model ?? null,
      verifier_model: parts.verifier.model ?? null,
      limits: parts.limits,
      ...parts.settings,
    },
  });
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
  private persisting: Promise<unknown> = Promise.resolve();
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly deadline = new AbortController();
  private releasedTask: string | null = null;
  /** Another process ended the run's record (e.g. marked it abandoned): it cannot be saved any more. */
  private recordEnded = false;
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
    const stop = this.controller.signal.reason as Stop;
    const reason = /[.!?]$/.test(stop.reason) ? stop.reason : `${stop.reason}.`;
    const putBack = this.releasedTask ? ` ${this.releasedTask} was put back in line.` : "";
    return { code: stop.code, reason: reason + putBack };
  }

  private abort(stop: Stop): void {
    if (!this.controller.signal.aborted && this.status === "running") this.controller.abort(stop);
  }

  /** The next task, or why there is none for this run. */
  private async claim(): Promise<Task | Stop> {
    const { maxTasks, leaseMs } = this.parts;
    const atCap = this.processed.size >= maxTasks;
    const capStop: Stop = {
      code: "max_tasks",
      reason: `Processed ${maxTasks} task${maxTasks === 1 ? "" : "s"} (max_tasks ${maxTasks}).`,
    };
    if (atCap) {
      // Past the cap the run only goes on with tasks it already took on (their retries).
      const next = await this.store.peekNext();
      if (!next || !this.processed.has(next.id)) return capStop;
    }
    const task = await this.store.claimNext({ workerId: this.workerId, leaseMs });
    if (!task) return this.queueEmpty();
    if (this.controller.signal.aborted || (atCap && !this.processed.has(task.id))) {
      try {
        await this.store.release(task.id, this.held());
      } catch (error) {
        if (!isConflict(error)) throw error;
        // Someone decided about it in the meantime: it is not ours to give back.
      }
      return this.controller.signal.aborted ? this.abortStop() : capStop;
    }
    return task;
  }

  private async queueEmpty(): Promise<Stop> {
    const s = await this.store.stats();
    if (s.pending === 0 && s.in_progress === 0) {
      return { code: "queue_empty", reason: "The queue is done: no pending tasks are left." };
    }
    const waiting = [
      s.blocked > 0 ? `${s.blocked} wait${s.blocked === 1 ? "s" : ""} for dependencies` : null,
      s.in_progress > 0
        ? `${s.in_progress} ${s.in_progress === 1 ? "is" : "are"} in progress elsewhere`
        : null,
    ].filter(Boolean);
    return {
      code: "queue_empty",
      reason: `No pending task is ready${waiting.length > 0 ? `: ${waiting.join(", ")}` : ""}.`,
    };
  }

  /** One attempt at a claimed task, and its outcome written back. */
  private async attempt(task: Task): Promise<void> {
    const { executor, verifier, clock } = this.parts;
    const attempt = task.attempts;
    const began = clock.now();
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

    const execution = new AbortController();
    const onRunAbort = () => execution.abort(this.controller.signal.reason);
    this.controller.signal.addEventListener("abort", onRunAbort, { once: true });
    const lease = this.keepLease(task.id, execution);
    let result: ExecutionResult | undefined;
    let verdict: Verdict | undefined;
    let verifyError: string | undefined;
    let cost = 0;
    try {
      result = await Promise.resolve()
        .then(() =>
          executor.execute(
            { task, attempt, prompt: buildPrompt(task, attempt), runId: this.id },
            execution.signal,
          ),
        )
        .catch((error: unknown): ExecutionResult | undefined =>
          execution.signal.aborted
            ? undefined
            : {
                ok: false,
                error: `The executor failed: ${errorMessage(error)}`,
                tokens: { input: 0, output: 0 },
              },
        );
      if (result && !execution.signal.aborted) {
        cost += this.count(result.tokens, result.model ?? executor.model);
        if (result.ok) {
          this.current = { ...this.current, phase: "verifying" };
          this.emit(
            "verifying",
            `${task.id} attempt ${attempt}: verifying (${verifier.kind})`,
            task.id,
            attempt,
          );
          try {
            verdict = await verifier.verify(
              { task, attempt, output: result.output, runId: this.id },
              execution.signal,
            );
            cost += this.count(verdict.tokens, verdict.model ?? verifier.model);
          } catch (error) {
            if (!execution.signal.aborted) verifyError = errorMessage(error);
          }
        }
      }
    } finally {
      lease.stop();
      this.controller.signal.removeEventListener("abort", onRunAbort);
    }

    if (execution.signal.aborted || !result) {
      this.current = null;
      if (lease.lost) {
        this.lose(task, attempt, lease.lost);
      } else {
        await this.putBack(task, attempt);
      }
      return;
    }

    const took = formatDuration(Math.round(clock.now() - began));
    if (result.ok && verdict?.passed) {
      const written = await this.settle(task, attempt, () =>
        this.store.complete(task.id, (result as { output: string }).output, this.held()),
      );
      this.breaker.record({ taskId: task.id, passed: true, costUsd: cost });
      this.current = null;
      if (written) {
        this.stats.completed += 1;
        this.emit("completed", `${task.id} attempt ${attempt}: completed (${took})`, task.id, attempt);
      }
      return;
    }

    const failure = !result.ok
      ? {
          error: result.error,
          feedback: `Attempt ${attempt} failed: ${result.error}`,
          source: "system" as const,
        }
      : verifyError !== undefined
        ? {
            error: verifyError,
            feedback: `Attempt ${attempt} could not be checked: ${verifyError}`,
            source: "system" as const,
          }
        : {
            output: result.output,
            feedback: verdictFeedback(verdict as Verdict),
            source: "verifier" as const,
          };
    const feedback = failure.feedback.slice(0, LIMITS.feedbackChars);
    const after = await this.settle(task, attempt, () => this.retryOrFail(task, feedback, failure.source));
    const trip = this.breaker.record({
      taskId: task.id,
      passed: false,
      error: "error" in failure ? failure.error : null,
      output: "output" in failure ? failure.output : null,
      costUsd: cost,
    });
    this.current = null;
    if (after?.status === "failed") {
      this.stats.failed += 1;
      this.emit(
        "failed",
        `${task.id} attempt ${attempt}: failed for good (${after.failure_reason}) — ${oneLine(feedback)}`,
        task.id,
        attempt,
      );
    } else if (after) {
      this.stats.retried += 1;
      this.emit(
        "retried",
        `${task.id} attempt ${attempt}: did not pass (${took}), back in line — ${oneLine(feedback)}`,
        task.id,
        attempt,
      );
    }
    if (trip && !trip.hard) log.info({ run: this.id, code: trip.code }, trip.reason);
  }

  /**
   * How every write-back of this run's own attempt is made: it must still hold the task, so what a
   * person or another worker decided while the attempt ran (complete, fail, retry, reset) stands.
   */
  private held(): { workerId: string; requireHeld: true } {
    return { workerId: this.workerId, requireHeld: true };
  }

  /**
   * Retry with feedback. A task that cannot take more feedback (the feedback-entries limit, an
   * InvalidTransitionError once the task is known to be ours) fails with it as the reason; a task
   * that is no longer ours (ConflictError) is never failed or retried.
   */
  private async retryOrFail(task: Task, feedback: string, source: "verifier" | "system"): Promise<Task> {
    try {
      return await this.store.retry(task.id, feedback, { ...this.held(), source });
    } catch (error) {
      if (!isRalphError(error) || error.code !== "invalid_transition") throw error;
      return this.store.fail(task.id, feedback, this.held());
    }
  }

  /**
   * Write an outcome. When the task is no longer this run's (a person completed, failed, retried,
   * reset or deleted it, or its lease passed to another worker) the outcome is dropped, counted in
   * the run's stats as `lost`, and the run goes on; a store failure ends the run.
   */
  private async settle(task: Task, attempt: number, write: () => Promise<Task>): Promise<Task | null> {
    try {
      return await write();
    } catch (error) {
      if (!isRalphError(error) || error.retryable) throw error;
      this.lose(task, attempt, `its outcome was not stored: ${error.message}`);
      return null;
    }
  }

  private lose(task: Task, attempt: number, why: string): void {
    this.stats.lost += 1;
    this.emit("lost", `${task.id} attempt ${attempt}: ${why}`, task.id, attempt);
  }

  /** Give the attempt back: the run was cancelled or hit its wall clock mid-execution. */
  private async putBack(task: Task, attempt: number): Promise<void> {
    try {
      await this.store.release(task.id, this.held());
      this.releasedTask = task.id;
      this.emit("released", `${task.id} attempt ${attempt}: stopped and put back in line`, task.id, attempt);
    } catch (error) {
      if (isConflict(error)) {
        this.lose(task, attempt, `stopped; it was not put back: ${(error as Error).message}`);
        return;
      }
      log.warn({ err: error, task: task.id }, "could not put the task back; its lease will expire instead");
    }
  }

  private keepLease(taskId: string, execution: AbortController): { stop(): void; lost: string | null } {
    const state = { lost: null as string | null, stop: () => clearInterval(timer) };
    const timer = setInterval(
      () => {
        this.store
          .renewLease(taskId, { workerId: this.workerId, leaseMs: this.parts.leaseMs })
          .catch((error: unknown) => {
            if (isRalphError(error) && !error.retryable) {
              state.lost = `the task changed hands while it executed (${error.message}); stopped and left to its holder`;
              execution.abort(state.lost);
            } else {
              log.warn({ err: error, task: taskId }, "could not renew the lease; trying again");
            }
          });
      },
      Math.max(100, Math.floor(this.parts.leaseMs / 3)),
    );
    return state;
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

  /** Write the run's state (in order, one write at a time) and notice a cancel request. */
  private persist(): void {
    if (this.status !== "running" || this.recordEnded) return;
    this.stats.elapsed_seconds = this.elapsed();
    const patch = { stats: { ...this.stats, tokens: { ...this.stats.tokens } }, current: this.current };
    this.persisting = this.persisting
      .then(() => this.store.runs.update(this.id, patch))
      .then((saved) => {
        if (saved.cancel_requested) this.cancel("Cancelled by a request from another process");
      })
      .catch((error: unknown) => {
        if (isEndedElsewhere(error)) this.endedElsewhere(error.message);
        else log.warn({ err: error, run: this.id }, "could not save the run's progress");
      });
  }

  /**
   * Another process ended this run's record (it marked it abandoned because its heartbeat looked
   * stale, e.g. this process was suspended): the run cannot be followed or cancelled through the
   * store any more, so it stops here — its execution killed, its task put back in line.
   */
  private endedElsewhere(why: string): void {
    this.recordEnded = true;
    log.warn({ run: this.id }, `${why} Stopping the run here.`);
    this.abort({ code: "cancelled", reason: `Stopped: another process ended its record (${why})` });
  }

  private async finish(stop: Stop): Promise<Run> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.deadline.abort();
    this.stop = stop;
    this.stats.stop_reason = stop.reason;
    this.stats.elapsed_seconds = this.elapsed();
    this.current = null;
    await this.persisting;
    this.status = statusFor(stop.code);
    this.finishedAt = new Date().toISOString();
    let final = this.snapshot();
    try {
      final = await this.store.runs.update(this.id, {
        status: final.status,
        stop_code: final.stop_code,
        stop_reason: final.stop_reason,
        stats: final.stats,
        current: null,
        finished_at: final.finished_at,
      });
    } catch (error) {
      if (isEndedElsewhere(error)) {
        this.recordEnded = true;
        log.warn({ run: this.id }, `could not save the run's end: ${error.message}`);
      } else {
        log.error({ err: error, run: this.id }, "could not save the run's end");
      }
    }
    this.emit("stopped", `${this.id} ${final.status}: ${stop.reason}`);
    this.listeners.clear();
    return final;
  }
}
