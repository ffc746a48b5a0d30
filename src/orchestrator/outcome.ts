/**
 * Applying an attempt's outcome: the task written back (completed, retried with the feedback,
 * failed for good, or put back in line when the attempt was stopped), the breaker told, the run's
 * stats counted and the progress event sent.
 *
 * Every write-back must still hold the task (requireHeld), so what a person or another worker
 * decided while the attempt ran (complete, fail, retry, reset, delete) stands: such an outcome is
 * dropped and counted as `lost`, and the run goes on. A store failure ends the run.
 */
import { isRalphError } from "../domain/errors.js";
import type { RunStats } from "../domain/run.js";
import type { Task } from "../domain/task.js";
import { storableText } from "../domain/text.js";
import { log } from "../log.js";
import type { TaskStore } from "../store/types.js";
import type { AttemptOutcome } from "./attempt.js";
import type { CircuitBreaker } from "./circuit-breaker.js";
import { formatDuration, oneLine } from "./format.js";
import type { ProgressKind } from "./types.js";

export interface OutcomeContext {
  store: TaskStore;
  workerId: string;
  breaker: CircuitBreaker;
  runId: string;
  /** The run's stats, counted in place. */
  stats: RunStats;
  emit(kind: ProgressKind, message: string, taskId: string, attempt: number): void;
  /** The task was put back in line because the run stopped (for the stop reason). */
  released(taskId: string): void;
  /** The back-off of a retry after `attempt` (ms; 0: eligible at once). */
  retryDelayMs(attempt: number): number;
  /** The task went back in line backing off for `delayMs`. */
  backedOff(taskId: string, delayMs: number): void;
}

/** The task is no longer this run's: someone else decided about it while the attempt ran. */
export function isConflict(error: unknown): boolean {
  return isRalphError(error) && error.code === "conflict";
}

export function held(workerId: string): { workerId: string; requireHeld: true } {
  return { workerId, requireHeld: true };
}

export async function applyOutcome(task: Task, outcome: AttemptOutcome, ctx: OutcomeContext): Promise<void> {
  const attempt = task.attempts;
  if (outcome.kind === "stopped" || outcome.kind === "cannot_start") {
    if (outcome.kind === "stopped" && outcome.lost) lose(ctx, task, attempt, outcome.lost);
    else await putBack(ctx, task, attempt);
    return;
  }
  const took = formatDuration(outcome.tookMs);
  if (outcome.kind === "passed") {
    const written = await settle(ctx, task, attempt, () =>
      ctx.store.complete(task.id, storableText(outcome.output), held(ctx.workerId)),
    );
    ctx.breaker.record({ taskId: task.id, passed: true, costUsd: outcome.costUsd });
    if (written?.status === "completed") {
      ctx.stats.completed += 1;
      ctx.emit("completed", `${task.id} attempt ${attempt}: completed (${took})`, task.id, attempt);
    } else if (written) {
      ctx.stats.failed += 1;
      ctx.emit(
        "failed",
        `${task.id} attempt ${attempt}: failed (${written.failure_reason})`,
        task.id,
        attempt,
      );
    }
    return;
  }
  const feedback = storableText(outcome.feedback);
  const delayMs = ctx.retryDelayMs(attempt);
  const after = await settle(ctx, task, attempt, () =>
    retryOrFail(ctx, task, feedback, outcome.source, delayMs),
  );
  const trip = ctx.breaker.record({
    taskId: task.id,
    passed: false,
    error: outcome.error,
    output: outcome.output,
    costUsd: outcome.costUsd,
  });
  if (after?.status === "failed") {
    ctx.stats.failed += 1;
    ctx.emit(
      "failed",
      `${task.id} attempt ${attempt}: failed for good (${after.failure_reason}) — ${oneLine(feedback)}`,
      task.id,
      attempt,
    );
  } else if (after) {
    ctx.stats.retried += 1;
    if (after.not_before !== null) ctx.backedOff(task.id, delayMs);
    const when = after.not_before !== null ? ` in ${formatDuration(delayMs)}` : "";
    ctx.emit(
      "retried",
      `${task.id} attempt ${attempt}: did not pass (${took}), back in line${when} — ${oneLine(feedback)}`,
      task.id,
      attempt,
    );
  }
  if (trip && !trip.hard) log.info({ run: ctx.runId, code: trip.code }, trip.reason);
}

/**
 * Retry with feedback. A task that cannot take more feedback (the feedback-entries limit, an
 * InvalidTransitionError once the task is known to be ours) fails with it as the reason; a task
 * that is no longer ours (ConflictError) is never failed or retried.
 */
async function retryOrFail(
  ctx: OutcomeContext,
  task: Task,
  feedback: string,
  source: "verifier" | "system",
  delayMs: number,
): Promise<Task> {
  try {
    return await ctx.store.retry(task.id, feedback, { ...held(ctx.workerId), source, delayMs });
  } catch (error) {
    if (!isRalphError(error) || error.code !== "invalid_transition") throw error;
    return ctx.store.fail(task.id, feedback, held(ctx.workerId));
  }
}

/**
 * Write an outcome; null (counted as lost) when the task is no longer this run's. A write refused
 * for a reason that will not change (the store refuses the text, say) fails the task with that
 * reason rather than leaving it held by a run that goes on without it.
 */
async function settle(
  ctx: OutcomeContext,
  task: Task,
  attempt: number,
  write: () => Promise<Task>,
): Promise<Task | null> {
  try {
    return await write();
  } catch (error) {
    if (!isRalphError(error) || error.retryable) throw error;
    if (isConflict(error)) {
      lose(ctx, task, attempt, `its outcome was not stored: ${error.message}`);
      return null;
    }
    const reason = storableText(`Attempt ${attempt}'s outcome could not be stored: ${error.message}`);
    try {
      return await ctx.store.fail(task.id, reason.slice(0, 2000), held(ctx.workerId));
    } catch (again) {
      if (!isRalphError(again) || again.retryable) throw again;
      lose(ctx, task, attempt, `its outcome was not stored: ${error.message}`);
      return null;
    }
  }
}

function lose(ctx: OutcomeContext, task: Task, attempt: number, why: string): void {
  ctx.stats.lost += 1;
  ctx.emit("lost", `${task.id} attempt ${attempt}: ${why}`, task.id, attempt);
}

/** Give the attempt back: the run was cancelled or hit its wall clock mid-execution. */
async function putBack(ctx: OutcomeContext, task: Task, attempt: number): Promise<void> {
  try {
    await ctx.store.release(task.id, held(ctx.workerId));
    ctx.released(task.id);
    ctx.emit("released", `${task.id} attempt ${attempt}: stopped and put back in line`, task.id, attempt);
  } catch (error) {
    if (isConflict(error)) {
      lose(ctx, task, attempt, `stopped; it was not put back: ${(error as Error).message}`);
      return;
    }
    log.warn({ err: error, task: task.id }, "could not put the task back; its lease will expire instead");
  }
}
