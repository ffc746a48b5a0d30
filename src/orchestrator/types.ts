/**
 * The orchestrator's parts, each behind one small interface, so the run loop composes them and a
 * new kind (an MCP sampling executor, a test double of an agent) plugs in without touching it.
 *
 *   TaskStore ◄─► Executor ◄─► Verifier ◄─► CircuitBreaker
 *
 * and the run they make: its parts (RunParts) and its handle in this process (RunHandle).
 */
import type { Clock } from "../domain/clock.js";
import type { Run, TokenUsage } from "../domain/run.js";
import type { Task } from "../domain/task.js";
import type { TaskStore } from "../store/types.js";
import type { BreakerLimits, PriceTable } from "./options.js";
import type { WorkerState } from "./workers.js";

export type { TokenUsage };

/** What an executor is asked to do: one attempt at one task. */
export interface ExecutionRequest {
  task: Task;
  /** The attempt number (1-based; the task's `attempts` after its claim). */
  attempt: number;
  /** The full prompt: description, criteria and every earlier attempt's feedback (prompt.ts). */
  prompt: string;
  runId: string;
  /** The attempt's own folder (a git worktree) when the run has workspaces: the agent works there. */
  workspace?: string | undefined;
  /** Output as it comes (stdout and stderr), for the run's live tail; executors that stream call it. */
  onOutput?: ((text: string) => void) | undefined;
}

export type ExecutionResult =
  | {
      ok: true;
      /** The result to store (already capped to the task's result limit). */
      output: string;
      tokens: TokenUsage;
      /** The model that answered, when known; prices the tokens. */
      model?: string | undefined;
    }
  | {
      ok: false;
      /** Why the attempt failed, for the next attempt's prompt and for people. */
      error: string;
      tokens: TokenUsage;
      model?: string | undefined;
      /**
       * The agent could not start at all (not found, not executable, exit 126/127): a setting
       * error, not the task's failure. The run stops and the task goes back with its attempt given back.
       */
      cannotStart?: boolean | undefined;
    };

/**
 * Runs one attempt. Failures of the agent (a non-zero exit, an API error) are a result with
 * `ok: false`, not a throw. When `signal` aborts, stop at once — kill what runs — and return or
 * throw; the loop ignores what comes back and puts the task back in line.
 */
export interface Executor {
  /** "anthropic", "command", "sampling", …: shown in run settings. */
  readonly kind: string;
  /** The model it uses, when it has one (for run settings and pricing). */
  readonly model?: string | undefined;
  execute(request: ExecutionRequest, signal: AbortSignal): Promise<ExecutionResult>;
}

export interface VerificationRequest {
  task: Task;
  attempt: number;
  /** What the executor produced. */
  output: string;
  runId: string;
  /** Where to check: the attempt's worktree, or the merged result with verifyAfterMerge. */
  workspace?: string | undefined;
  /** True for the check on the merged result (verifyAfterMerge); commands get RALPH_MERGED=1. */
  merged?: boolean | undefined;
}

/** The verifier's judgement of one attempt. */
export interface Verdict {
  passed: boolean;
  /** 0 … 1. */
  confidence: number;
  /** What the next attempt should do differently (empty when it passed). */
  feedback: string;
  issues: string[];
  tokens?: TokenUsage | undefined;
  model?: string | undefined;
}

/** A verifier could not judge an attempt (its API failed, its check could not run or timed out). */
export class VerifierError extends Error {
  override readonly name = "VerifierError";
  /** The check could not start at all (not found, not executable): a setting error that stops the run. */
  cannotStart = false;
}

/**
 * Judges one attempt's output. When it cannot judge (its API is down, its command timed out), it
 * throws: the loop retries the task with that reason as feedback and counts a failure.
 */
export interface Verifier {
  readonly kind: string;
  readonly model?: string | undefined;
  verify(request: VerificationRequest, signal: AbortSignal): Promise<Verdict>;
}

/** Time, injectable so the breaker's wall-clock and cooldown logic is tested without sleeping. */
/** The one Clock type of the code base (src/domain/clock.ts); the stores take its `now`. */
export type { Clock };

export type ProgressKind =
  | "started"
  | "claimed"
  | "verifying"
  | "merging"
  | "working"
  | "completed"
  | "retried"
  | "failed"
  | "released"
  | "lost"
  | "cooldown"
  | "backoff"
  | "stopped";

/**
 * One step of a run, for progress notifications and live displays. `seq` grows by one with every
 * event of a run, so it can be sent as an MCP progress value (which must increase).
 */
export interface RunProgress {
  seq: number;
  kind: ProgressKind;
  /** One line for people: "task-003 attempt 2: completed (1.2 s)". */
  message: string;
  task_id: string | null;
  attempt: number | null;
  /** The worker (1 … parallel) the event is about, when it is about one. */
  worker: number | null;
  /** The run as it is now (status, stats, current task). */
  run: Run;
  /** What each busy worker is doing, by worker. */
  workers: WorkerState[];
}

export type ProgressListener = (event: RunProgress) => void;

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
  /** How many tasks the run works at once (1 … ); one breaker and budget for all of them. */
  parallel: number;
  /** Back-off of a retried task: this many ms doubling per attempt, at most retryDelayMaxMs; 0: none. */
  retryDelayMs: number;
  retryDelayMaxMs: number;
  leaseMs: number;
  heartbeatMs: number;
  staleRunMs: number;
  /** A workspace for each attempt (a git worktree); none: the agent works where the server runs. */
  workspaces?: WorkspaceProvider | undefined;
  /** With workspaces: run the verifier again on the merged result before it is kept. */
  verifyAfterMerge?: boolean | undefined;
  /** Shown in the run record's settings, next to executor, verifier and limits. */
  settings?: Record<string, unknown>;
}

export interface StartOptions {
  /** Aborting it cancels the run (e.g. the MCP request was cancelled). */
  signal?: AbortSignal | undefined;
  onProgress?: ProgressListener | undefined;
}

/** What became of an attempt's work when it was brought back (merged into the target branch). */
export type IntegrateResult =
  | { kept: true /** The merge commit, or null when the attempt changed nothing. */; commit: string | null }
  | {
      kept: false;
      /** For the next attempt: the conflicting files, or the check's output. */
      feedback: string;
      /** One line for the breaker and the logs. */
      error: string;
    };

/** An attempt's own folder (a git worktree on a branch of its own). */
export interface Workspace {
  readonly path: string;
  /**
   * Bring a passing attempt's work back (one at a time across workers and processes). `check`, when
   * given, runs on the merged result first: it returns null when it passes, else its output.
   */
  integrate(check?: (path: string) => Promise<string | null>): Promise<IntegrateResult>;
  /** Remove the folder and its branch; called however the attempt ended. */
  dispose(): Promise<void>;
}

/** Makes a workspace for each attempt (worktrees/workspace.ts). */
export interface WorkspaceProvider {
  readonly kind: string;
  prepare(task: Task, attempt: number): Promise<Workspace>;
  /** The run ended: remove what it made (its worktrees). */
  close?(): Promise<void>;
}
