/**
 * The run model: one pass of the orchestrator over the queue (claim → execute → verify → …),
 * as it is kept in the store and shown on `task://runs/{id}`, and the rules both run stores follow.
 * Pure, no I/O.
 */
import { runEnded, ValidationError } from "./errors.js";

/**
 * running    the loop is working (or waiting out a breaker cooldown)
 * finished   it stopped by itself: the queue had nothing ready, or max_tasks was reached
 * stopped    the circuit breaker stopped it (a limit, a budget, or the work kept failing)
 * cancelled  someone cancelled it; the task it was executing went back in line
 * error      the loop itself failed (e.g. the store became unreachable)
 * abandoned  the process running it stopped updating it (it was killed or lost)
 */
const RUN_STATUSES = ["running", "finished", "stopped", "cancelled", "error", "abandoned"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Why a run stopped, for programs; `stop_reason` says the same for people. */
const STOP_CODES = [
  "queue_empty",
  "max_tasks",
  "max_iterations",
  "consecutive_failures",
  "wall_clock",
  "cost_budget",
  "repeated_output",
  "repeated_error",
  "task_attempts",
  "cancelled",
  /** A setting is wrong, found while the run worked (an agent command that cannot start). */
  "setting_error",
  "error",
  "abandoned",
] as const;
export type StopCode = (typeof STOP_CODES)[number];

export interface TokenUsage {
  input: number;
  output: number;
}

export interface RunStats {
  /** Distinct tasks this run claimed. */
  processed: number;
  /** Tasks this run completed. */
  completed: number;
  /** Tasks that failed for good in this run (their attempts were spent, or a verdict could not be stored). */
  failed: number;
  /** Attempts that did not pass and went back in line with feedback. */
  retried: number;
  /**
   * Attempts whose task was decided elsewhere while they ran (a person completed, failed, retried,
   * reset or deleted it, or its lease passed to another worker): their outcome was not written.
   * Absent from records of older versions.
   */
  lost: number;
  /** Executions started (the breaker's iterations). */
  executions: number;
  elapsed_seconds: number;
  stop_reason: string | null;
  /** Tokens used by executor and verifier (0 for commands, which do not report them). */
  tokens: TokenUsage;
  /** tokens × the price table, in US dollars. */
  cost_usd: number;
}

/** What the run is doing right now (null between tasks and after the end). */
export interface RunCurrent {
  /** Null while the run waits out a breaker cooldown. */
  task_id: string | null;
  attempt: number | null;
  /** cooldown: the breaker is open; backoff: nothing is ready but a retried task's back-off. */
  phase: "executing" | "verifying" | "merging" | "cooldown" | "backoff";
  since: string;
}

export interface Run {
  id: string;
  status: RunStatus;
  stop_code: StopCode | null;
  stop_reason: string | null;
  max_tasks: number;
  /** Which parts it runs with, e.g. {executor: "command", verifier: "none", model: null}. */
  settings: Record<string, unknown>;
  /** The worker id the run claims tasks under (`run-007@host:pid`). */
  worker_id: string;
  stats: RunStats;
  current: RunCurrent | null;
  /** Set by a cancel from another process; the run notices at its next heartbeat. */
  cancel_requested: boolean;
  started_at: string;
  /** Also the run's heartbeat: a running run refreshes it while it works. */
  updated_at: string;
  finished_at: string | null;
}

export interface NewRun {
  max_tasks: number;
  settings: Record<string, unknown>;
  /** The host:pid part of the worker id; the store prefixes the run id. */
  owner: string;
}

/** What a run may change about itself while it works and when it ends. */
export interface RunUpdate {
  status?: RunStatus;
  stop_code?: StopCode | null;
  stop_reason?: string | null;
  stats?: RunStats;
  current?: RunCurrent | null;
  finished_at?: string | null;
}

export function emptyRunStats(): RunStats {
  return {
    processed: 0,
    completed: 0,
    failed: 0,
    retried: 0,
    lost: 0,
    executions: 0,
    elapsed_seconds: 0,
    stop_reason: null,
    tokens: { input: 0, output: 0 },
    cost_usd: 0,
  };
}

export function isFinalRunStatus(status: RunStatus): boolean {
  return status !== "running";
}

const RUN_ID = /^run-(\d{1,15})$/;

/** `run-001`, `run-042`: like task ids, from the store's own sequence. */
export function formatRunId(seq: number): string {
  return `run-${String(seq).padStart(3, "0")}`;
}

export function tryParseRunId(id: string): number | null {
  const match = RUN_ID.exec(id.trim());
  const seq = match ? Number(match[1]) : Number.NaN;
  return Number.isSafeInteger(seq) && seq >= 1 ? seq : null;
}

/** How many runs a list shows: 1 … 500, 50 when not given. */
export function runListLimit(limit: number | undefined): number {
  return Math.max(1, Math.min(500, Math.trunc(limit ?? 50)));
}

/**
 * A run after a change it makes to itself, its heartbeat (`updated_at`) refreshed. A run that has
 * already ended cannot change, so a late write never revives it.
 */
export function updateRun(run: Run, patch: RunUpdate, now: number): Run {
  if (isFinalRunStatus(run.status)) throw runEnded(run.id, run.status);
  return { ...run, ...patch, updated_at: new Date(now).toISOString() };
}

/** A running run whose process stopped updating it (killed or lost), as it is marked. */
export function abandonRun(run: Run, now: number): Run {
  const reason = `The process running it stopped updating it at ${run.updated_at} (killed or lost); its task, if any, returns to the queue when its lease expires.`;
  const at = new Date(now).toISOString();
  return {
    ...run,
    status: "abandoned",
    stop_code: "abandoned",
    stop_reason: reason,
    stats: { ...run.stats, stop_reason: reason },
    current: null,
    finished_at: at,
    updated_at: at,
  };
}

/**
 * The tail of one execution's output (stdout and stderr as they came), kept in the store while it
 * runs so any process can follow it (`ralph-mcp runs watch`, the dashboard). At most
 * OUTPUT_TAIL_BYTES: older lines are dropped, and `text` then begins with a note saying so.
 */
export interface ExecutionOutput {
  run_id: string;
  task_id: string;
  attempt: number;
  /** The run's worker (1 … parallel) that ran it. */
  worker: number | null;
  text: string;
  /** How many bytes of earlier output were dropped. */
  dropped_bytes: number;
  updated_at: string;
}

export type NewExecutionOutput = Omit<ExecutionOutput, "run_id" | "updated_at">;

/** Most bytes of one execution's output kept in the store. */
export const OUTPUT_TAIL_BYTES = 64 * 1024;

/** What both stores check before keeping an output tail: its bounds (the caller cuts it). */
export function checkOutput(output: NewExecutionOutput): void {
  if (new TextEncoder().encode(output.text).length > OUTPUT_TAIL_BYTES + 256) {
    throw new ValidationError(`An output tail is at most ${OUTPUT_TAIL_BYTES} bytes; cut it first.`);
  }
  if (!Number.isInteger(output.attempt) || output.attempt < 1) {
    throw new ValidationError(`attempt must be a whole number ≥ 1 (got ${output.attempt}).`);
  }
}
