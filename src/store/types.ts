/**
 * The TaskStore contract: the one interface every module uses to reach tasks. SQLite (embedded
 * default) and PostgreSQL (scale-out) implement it; test/store/contract.ts holds both to it.
 *
 * Every method is atomic: it either happens whole or throws a RalphError and changes nothing.
 * A promise that resolves means the change is committed (acknowledged writes are never lost).
 */

import type { ImportResult, ImportRow } from "../domain/import.js";
import type { ExecutionOutput, NewExecutionOutput, NewRun, Run, RunUpdate } from "../domain/run.js";
import type { FeedbackSource, NewTask, Task, TaskStats, TaskStatus } from "../domain/task.js";
import type { TaskPatch } from "../domain/validate.js";

export type { ImportResult, ImportRow, TaskPatch };

export interface ClaimOptions {
  /** Who holds the task while it is in progress (a run id, an MCP session, a hostname:pid). */
  workerId: string;
  /** How long the claim lasts without renewal; after that the task goes back in line. */
  leaseMs?: number | undefined;
}

export interface WorkerOptions {
  /** When given, the call fails with a ConflictError if another worker holds the task now. */
  workerId?: string | undefined;
  /**
   * With workerId: fail with a ConflictError unless the task is still in progress under that
   * worker. For write-backs (a run finishing its attempt) that must not overwrite a complete,
   * fail, retry or reset someone else made while the attempt ran.
   */
  requireHeld?: boolean | undefined;
}

export interface RetryOptions extends WorkerOptions {
  source?: FeedbackSource | undefined;
  /** Back-off: the task is not claimed again for this many ms (its `not_before`); 0 or none: at once. */
  delayMs?: number | undefined;
}

export interface ListQuery {
  status?: TaskStatus | undefined;
  /**
   * "id" (default): oldest first. "queue": what runs next comes first — in progress, then the
   * ready pending tasks by priority and age (claim order), then the blocked ones, then failed,
   * then completed, each by id.
   */
  order?: "id" | "queue" | undefined;
  /** Page size, 1 … 500 (default 50). */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

export interface TaskPage {
  tasks: Task[];
  /** How many tasks match the query in all (not only on this page). */
  total: number;
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface CreateResult {
  task: Task;
  /** False when an existing task was returned for the same idempotency_key. */
  created: boolean;
}

/** What changed. `taskIds: null` means "anything may have changed" (a reset, or a gap in the feed). */
export interface ChangeEvent {
  kind: "created" | "updated" | "deleted" | "reset";
  taskIds: string[] | null;
  /** True when the change was made by another process or server sharing the store. */
  remote: boolean;
}

export type ChangeListener = (event: ChangeEvent) => void;

/**
 * Where orchestrator runs are kept (`run-001`, …), next to the tasks they work on, so any process
 * sharing the store can show a run and ask it to stop. Every method is atomic.
 */
export interface RunStore {
  /** A new run with status "running", the next run id and worker id `<run id>@<owner>`. */
  create(input: NewRun): Promise<Run>;
  /** The run, or a NotFoundError naming recent runs. */
  get(id: string): Promise<Run>;
  /** Newest first. */
  list(options?: { limit?: number | undefined }): Promise<Run[]>;
  /**
   * Change a run and refresh its heartbeat (`updated_at`). A run that already ended cannot be
   * changed (InvalidTransitionError), so a late write never revives it.
   */
  update(id: string, patch: RunUpdate): Promise<Run>;
  /** Ask a running run to stop (it may belong to another process); it notices at its next heartbeat. */
  requestCancel(id: string): Promise<Run>;
  /** Mark runs whose heartbeat is older than `staleMs` as abandoned; returns them. */
  abandonStale(staleMs: number): Promise<Run[]>;
  /**
   * Keep the latest tail of one execution's output (replacing the one saved before for the same
   * run, task and attempt). The caller bounds it (OUTPUT_TAIL_BYTES); a longer text is refused.
   */
  saveOutput(runId: string, output: NewExecutionOutput): Promise<void>;
  /** The run's executions' output tails, in the order they started (NotFoundError for no such run). */
  outputs(runId: string): Promise<ExecutionOutput[]>;
  /**
   * Now on the store's own clock (PostgreSQL: the database's), the clock heartbeats and leases
   * are written with: judge a run's heartbeat against this, never against the local clock, so
   * clock skew between machines cannot make a live run look abandoned.
   */
  now(): Promise<number>;
}

export interface TaskStore {
  readonly kind: "sqlite" | "postgres";
  /** The orchestrator's runs, kept in the same store. */
  readonly runs: RunStore;
  /** Where the data lives, for people (a file path, or a database URL without its password). */
  readonly location: string;

  create(input: NewTask): Promise<CreateResult>;
  /** All or nothing; items may depend on each other with `#N` (1-based) in depends_on. */
  createBatch(inputs: NewTask[]): Promise<CreateResult[]>;

  /** The task, or a NotFoundError that names some tasks that do exist. */
  get(id: string): Promise<Task>;
  list(query?: ListQuery): Promise<TaskPage>;
  /** The next eligible pending task (dependencies completed) by priority, then age; not claimed. */
  peekNext(): Promise<Task | null>;
  /** Take the next eligible task atomically: no two callers ever get the same task. */
  claimNext(options: ClaimOptions): Promise<Task | null>;
  /** Start a given pending task (start_task), with a lease like a claim. */
  start(id: string, options: ClaimOptions): Promise<Task>;
  renewLease(id: string, options: Required<ClaimOptions>): Promise<Task>;
  complete(id: string, result: string, options?: WorkerOptions): Promise<Task>;
  /** All or nothing: one bad id fails the whole batch and completes none. */
  completeBatch(ids: string[], result: string): Promise<Task[]>;
  fail(id: string, reason: string, options?: WorkerOptions): Promise<Task>;
  retry(id: string, feedback: string, options?: RetryOptions): Promise<Task>;
  /** Put an in-progress task back in line without spending its attempt (a cancelled run). */
  release(id: string, options?: WorkerOptions & { note?: string }): Promise<Task>;
  /**
   * Change what a pending task is (description, criteria, priority, max_attempts, depends_on,
   * tags). A task in any other status is refused (InvalidTransitionError naming it); depends_on
   * must name existing tasks and form no cycle.
   */
  update(id: string, patch: TaskPatch): Promise<Task>;
  /**
   * Delete a task and its dependency edges (a dependent no longer waits for it). An in-progress
   * task is refused unless `force` (its worker's write-back then finds it gone). Returns it.
   */
  delete(id: string, options?: { force?: boolean | undefined }): Promise<Task>;
  /** One task back to a fresh pending: attempts 0, result, failure and feedback cleared. */
  reset(id: string): Promise<Task>;
  /**
   * Add exported tasks whole, all or nothing (src/domain/import.ts checks them first): a row whose
   * idempotency_key is taken is skipped; a row keeps its id when the store has none by that id,
   * else it gets a new one; depends_on names rows of the same import (by their ids in the file)
   * or tasks already stored.
   */
  importTasks(rows: ImportRow[]): Promise<ImportResult>;
  /** Every task back to pending with attempts 0; returns how many tasks there are. */
  resetAll(): Promise<number>;
  /** Delete completed tasks; returns how many. */
  clearCompleted(): Promise<number>;
  stats(): Promise<TaskStats>;
  /** Put tasks whose lease ran out back in line (or fail them when spent); returns them. */
  expireLeases(): Promise<Task[]>;
  /** Task ids starting with `prefix`, newest first, for argument completion. */
  completeIds(prefix: string, limit?: number): Promise<string[]>;

  /**
   * Listen for changes made through this store object or by any other process sharing the
   * store. Returns the unsubscribe function.
   */
  onChange(listener: ChangeListener): () => void;
  /** Flush what is queued, stop timers, close connections. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_LEASE_MS = 15 * 60 * 1000;
export const DEFAULT_LIST_LIMIT = 50;
