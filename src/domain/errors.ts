/**
 * Every failure the domain or a store reports is a RalphError with a stable `code` and, for the
 * failures a caller can act on, a `problem`: what went wrong, as data. The domain and the stores
 * never say what to do next in a particular interface's words: the MCP layer words a problem
 * with tool names (src/mcp/wording.ts), the terminal with command names (src/commands/wording.ts).
 * `message` is a plain statement of the problem, for logs and for callers that word nothing.
 */
import type { TaskStatus } from "./task.js";

type ErrorCode = "invalid_input" | "not_found" | "invalid_transition" | "conflict" | "store_unavailable";

/** What a task operation may be refused for, by the task's status. */
export type TaskAction =
  | "start"
  | "complete"
  | "fail"
  | "retry"
  | "release"
  | "renew_lease"
  | "update"
  | "delete";

/** A failure as data; each interface words it in its own terms. */
export type Problem =
  /** No task has that id; some that do exist, to suggest. */
  | { kind: "task_not_found"; id: string; pending: string[]; recent: string[] }
  /** The text cannot be a task id. */
  | { kind: "not_a_task_id"; id: string }
  /** The task's status does not allow the action. */
  | {
      kind: "wrong_status";
      id: string;
      action: TaskAction;
      status: TaskStatus;
      allowed: readonly TaskStatus[];
      claimed_by: string | null;
      attempts: number;
    }
  /** The task waits for dependencies that are not completed. */
  | { kind: "dependencies_unmet"; id: string; unmet: string[] }
  /** Every attempt is spent: it cannot start again. */
  | { kind: "attempts_spent"; id: string; max_attempts: number }
  /** The task holds as much feedback as it may. */
  | { kind: "feedback_full"; id: string; limit: number }
  /** A worker writing back an attempt no longer holds the task (someone decided it meanwhile). */
  | {
      kind: "not_held";
      id: string;
      worker: string;
      status: TaskStatus;
      claimed_by: string | null;
      attempts: number;
    }
  /** A worker's lease ran out and the task is held by another one now. */
  | { kind: "lease_lost"; id: string; worker: string; claimed_by: string | null; attempts: number }
  /** depends_on names a task that does not exist; `item` is the batch item (0-based) or null. */
  | { kind: "unknown_dependency"; dep: string; item: number | null; batch: boolean }
  /**
   * A value is malformed or out of range. `field` is the input field it is about (null when the
   * message is about the whole input), `item` the batch item (0-based) or null, and `text` the
   * statement after the field's name ("must be from 1 (highest) to 10 (lowest)").
   */
  | { kind: "invalid_value"; field: string | null; item: number | null; text: string }
  /** A list of task ids was empty, or named a task twice. */
  | { kind: "no_ids" }
  /** `ids` are the two entries that name the same task, `task` its id as the store writes it. */
  | { kind: "repeated_ids"; ids: [string, string]; task: string }
  /** No run has that id; recent runs, to suggest. */
  | { kind: "run_not_found"; id: string; recent: string[] }
  /** A run that already ended cannot change. */
  | { kind: "run_ended"; id: string; status: string };

export class RalphError extends Error {
  readonly code: ErrorCode;
  /** True when the same call may succeed if made again later (lock contention, a database restart). */
  readonly retryable: boolean;
  /** What went wrong, as data, when a caller can act on it. */
  readonly problem: Problem | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { retryable?: boolean; cause?: unknown; problem?: Problem },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options?.retryable ?? false;
    this.problem = options?.problem;
  }
}

/** The caller's input is malformed or out of range. Nothing was changed. */
export class ValidationError extends RalphError {
  constructor(message: string, problem?: Problem) {
    super("invalid_input", message, problem ? { problem } : undefined);
  }
}

/** No task (or run) has that id. */
export class NotFoundError extends RalphError {
  constructor(message: string, problem?: Problem) {
    super("not_found", message, problem ? { problem } : undefined);
  }
}

/** The task is not in a status from which the requested change is allowed. */
export class InvalidTransitionError extends RalphError {
  constructor(message: string, problem?: Problem) {
    super("invalid_transition", message, problem ? { problem } : undefined);
  }
}

/** Someone else holds the task (its lease moved to another worker), or a key is taken. */
export class ConflictError extends RalphError {
  constructor(message: string, problem?: Problem) {
    super("conflict", message, problem ? { problem } : undefined);
  }
}

/**
 * How a store failure left things, so that each is worded for what it is:
 * - rolled_back: nothing was changed (a lock not taken in time, a transaction the database rolled
 *   back, a connection lost before the write was sent): the same call may simply be made again;
 * - outcome_unknown: the connection broke after the write was sent, so it may have been made:
 *   check before making it again (an add with an idempotency key is safe to repeat);
 * - permanent: trying again will not help (a closed store, a read-only or deleted file, a schema
 *   newer than the code, a value the database refuses): something must change first.
 * Only rolled_back is `retryable`.
 */
export type StoreFailure = "rolled_back" | "outcome_unknown" | "permanent";

/** The store could not do it; `failure` says whether anything may have changed (see StoreFailure). */
export class StoreUnavailableError extends RalphError {
  readonly failure: StoreFailure;

  constructor(message: string, cause?: unknown, failure: StoreFailure = "rolled_back") {
    super("store_unavailable", message, { retryable: failure === "rolled_back", cause });
    this.failure = failure;
  }
}

/** A store failure that trying again will not mend; `message` says what must change. */
export function storeFailed(message: string, cause?: unknown): StoreUnavailableError {
  return new StoreUnavailableError(message, cause, "permanent");
}

/** How a store failure left things; null for errors that are not store failures. */
export function storeFailure(error: RalphError): StoreFailure | null {
  if (error instanceof StoreUnavailableError) return error.failure;
  return error.code === "store_unavailable" ? (error.retryable ? "rolled_back" : "permanent") : null;
}

export function isRalphError(error: unknown): error is RalphError {
  return error instanceof RalphError;
}

/** An id as it is shown back: long input cut to 40 characters. */
export function shownId(id: string): string {
  return id.length > 40 ? `${id.slice(0, 40)}…` : id;
}

/** The errors the stores raise, built in one place so every store reports the same problem. */
export function taskNotFound(id: string, pending: string[], recent: string[] = []): NotFoundError {
  const known =
    pending.length > 0
      ? ` Pending tasks: ${pending.join(", ")}.`
      : recent.length > 0
        ? ` Recent tasks: ${recent.join(", ")}.`
        : " The queue is empty.";
  return new NotFoundError(`No task ${shownId(id)}.${known}`, {
    kind: "task_not_found",
    id,
    pending,
    recent,
  });
}

export function notATaskId(id: string): ValidationError {
  return new ValidationError(`"${shownId(id)}" is not a task id; task ids look like task-001.`, {
    kind: "not_a_task_id",
    id,
  });
}

export function unknownDependency(dep: string, item: number | null, batch: boolean): ValidationError {
  const where = batch && item !== null ? `tasks[${item}].` : "";
  return new ValidationError(`${where}depends_on: there is no task ${dep}.`, {
    kind: "unknown_dependency",
    dep,
    item: batch ? item : null,
    batch,
  });
}

/** An edit whose depends_on would make the task depend, through others, on itself. */
export function dependencyCycle(id: string): ValidationError {
  return new ValidationError(`depends_on would form a cycle: ${id} is itself a dependency of one of them.`, {
    kind: "invalid_value",
    field: "depends_on",
    item: null,
    text: `would form a cycle: ${id} is itself a dependency of one of them.`,
  });
}

export function noIds(): ValidationError {
  return new ValidationError("The list of task ids is empty.", { kind: "no_ids" });
}

export function repeatedIds(first: string, second: string, task: string): ValidationError {
  const how =
    first === second
      ? `names ${shownId(task)} twice`
      : `names ${shownId(task)} twice (as "${shownId(first)}" and "${shownId(second)}")`;
  return new ValidationError(`The list of task ids ${how}.`, {
    kind: "repeated_ids",
    ids: [first, second],
    task,
  });
}

export function runNotFound(id: string, recent: string[]): NotFoundError {
  return new NotFoundError(
    recent.length > 0
      ? `No run ${shownId(id)}. Recent runs: ${recent.join(", ")}.`
      : `No run ${shownId(id)}: no run has been started on this store yet.`,
    { kind: "run_not_found", id, recent },
  );
}

export function runEnded(id: string, status: string): InvalidTransitionError {
  return new InvalidTransitionError(`${id} has already ended (${status}); it cannot change.`, {
    kind: "run_ended",
    id,
    status,
  });
}
