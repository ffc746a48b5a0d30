/**
 * One attempt at a claimed task: execute it, verify what came back, and say how it went as an
 * outcome. Nothing here writes the task: applying the outcome is outcome.ts's. The attempt keeps
 * the task's lease while it works and stops at once when the run is stopped (cancel, wall clock)
 * or the lease is lost.
 */
import { LIMITS, type Task } from "../domain/task.js";
import { log } from "../log.js";
import { keepLease } from "./lease.js";
import type { StreamedOutput } from "./output-tail.js";
import { buildPrompt } from "./prompt.js";
import {
  type ExecutionResult,
  type Executor,
  type IntegrateResult,
  type TokenUsage,
  type Verdict,
  type Verifier,
  VerifierError,
  type Workspace,
  type WorkspaceProvider,
} from "./types.js";

export type AttemptOutcome =
  /** The attempt was stopped before it had a result: the run stopped, or the task was lost (`lost`). */
  | { kind: "stopped"; lost: string | null }
  /** The agent or the check could not start (a setting error): the run stops, the attempt is given back. */
  | { kind: "cannot_start"; reason: string }
  | { kind: "passed"; output: string; costUsd: number; tookMs: number }
  | {
      kind: "failed";
      /** Why the execution failed or could not be checked (null when the verifier judged it). */
      error: string | null;
      /** What the executor produced, when the verifier did not pass it. */
      output: string | null;
      /** For the next attempt, already cut to the feedback limit. */
      feedback: string;
      source: "verifier" | "system";
      costUsd: number;
      tookMs: number;
    };

export interface AttemptContext {
  executor: Executor;
  verifier: Verifier;
  runId: string;
  workerId: string;
  leaseMs: number;
  store: Parameters<typeof keepLease>[0];
  now(): number;
  /** Aborts when the run stops: the attempt is stopped with it. */
  runSignal: AbortSignal;
  /** The attempt moved on to verifying. */
  onVerifying(): void;
  /** A workspace for the attempt (a git worktree), and its work merged back when it passes. */
  workspaces?: WorkspaceProvider | undefined;
  /** With workspaces: the verifier runs again on the merged result before it is kept. */
  verifyAfterMerge?: boolean | undefined;
  /** The attempt moved on to merging its work back. */
  onMerging?(): void;
  /** Where the execution's output streams to (the store's tail), when the run keeps one. */
  output?: StreamedOutput | undefined;
  /** Count tokens against the run (stats, budget); returns their cost in USD. */
  spend(tokens: TokenUsage | undefined, model: string | undefined): number;
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

export async function executeAndVerify(task: Task, ctx: AttemptContext): Promise<AttemptOutcome> {
  const { executor, verifier } = ctx;
  const attempt = task.attempts;
  const began = ctx.now();
  const execution = new AbortController();
  const onRunAbort = () => execution.abort(ctx.runSignal.reason);
  if (ctx.runSignal.aborted) onRunAbort();
  else ctx.runSignal.addEventListener("abort", onRunAbort, { once: true });
  const lease = keepLease(ctx.store, task.id, { workerId: ctx.workerId, leaseMs: ctx.leaseMs }, execution);
  let result: ExecutionResult | undefined;
  let verdict: Verdict | undefined;
  let verifyError: string | undefined;
  let integrated: IntegrateResult | undefined;
  let cannotStartReason: string | undefined;
  let workspace: Workspace | undefined;
  let cost = 0;
  try {
    workspace = await ctx.workspaces?.prepare(task, attempt);
    const where = workspace?.path;
    result = await Promise.resolve()
      .then(() =>
        executor.execute(
          {
            task,
            attempt,
            prompt: buildPrompt(task, attempt),
            runId: ctx.runId,
            workspace: where,
            onOutput: ctx.output?.write,
          },
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
      cost += ctx.spend(result.tokens, result.model ?? executor.model);
      if (result.ok) {
        ctx.onVerifying();
        try {
          verdict = await verifier.verify(
            { task, attempt, output: result.output, runId: ctx.runId, workspace: where },
            execution.signal,
          );
          cost += ctx.spend(verdict.tokens, verdict.model ?? verifier.model);
        } catch (error) {
          if (error instanceof VerifierError && error.cannotStart) cannotStartReason = error.message;
          else if (!execution.signal.aborted) verifyError = errorMessage(error);
        }
      }
      if (workspace && result.ok && verdict?.passed && !execution.signal.aborted) {
        ctx.onMerging?.();
        const output = result.output;
        // The check on the merged result; null when it passes, else what the next attempt reads.
        const check = async (path: string): Promise<string | null> => {
          try {
            const again = await verifier.verify(
              { task, attempt, output, runId: ctx.runId, workspace: path, merged: true },
              execution.signal,
            );
            cost += ctx.spend(again.tokens, again.model ?? verifier.model);
            return again.passed ? null : verdictFeedback(again);
          } catch (error) {
            return `The check could not run on the merged result: ${errorMessage(error)}`;
          }
        };
        integrated = await workspace.integrate(ctx.verifyAfterMerge ? check : undefined);
      }
    }
  } catch (error) {
    // The workspace could not be made or its work not brought back (a git failure).
    const why = `The workspace failed: ${errorMessage(error)}`;
    if (!result?.ok) result = { ok: false, error: why, tokens: { input: 0, output: 0 } };
    else integrated = { kept: false, feedback: why, error: why };
  } finally {
    await ctx.output?.flush();
    lease.stop();
    ctx.runSignal.removeEventListener("abort", onRunAbort);
    await workspace?.dispose().catch((error: unknown) => {
      log.warn({ err: error, workspace: workspace?.path }, "could not remove the attempt's worktree");
    });
  }

  if (result && !result.ok && result.cannotStart) cannotStartReason = result.error;
  if (cannotStartReason !== undefined) return { kind: "cannot_start", reason: cannotStartReason };
  // Work merged into the target branch stands even when the run was stopped meanwhile.
  const kept = integrated?.kept === true;
  if ((execution.signal.aborted && !kept) || !result) return { kind: "stopped", lost: lease.lost };
  const tookMs = Math.round(ctx.now() - began);
  if (result.ok && verdict?.passed && (integrated === undefined || integrated.kept)) {
    return { kind: "passed", output: result.output, costUsd: cost, tookMs };
  }
  const failure =
    integrated && !integrated.kept
      ? {
          error: integrated.error,
          output: null,
          feedback: `Attempt ${attempt} passed its check, but: ${integrated.feedback}`,
          source: "system" as const,
        }
      : !result.ok
        ? {
            error: result.error,
            output: null,
            feedback: `Attempt ${attempt} failed: ${result.error}`,
            source: "system" as const,
          }
        : verifyError !== undefined
          ? {
              error: verifyError,
              output: null,
              feedback: `Attempt ${attempt} could not be checked: ${verifyError}`,
              source: "system" as const,
            }
          : {
              error: null,
              output: result.output,
              feedback: verdictFeedback(verdict as Verdict),
              source: "verifier" as const,
            };
  return {
    kind: "failed",
    ...failure,
    feedback: failure.feedback.slice(0, LIMITS.feedbackChars),
    costUsd: cost,
    tookMs,
  };
}
