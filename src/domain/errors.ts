/**
 * Every failure the domain or a store reports is a RalphError with a stable `code`.
 * Messages are written for the reader who must act on them (often a model): they name the
 * task, what is wrong, and what to do instead.
 */
export type ErrorCode =
  | "invalid_input"
  | "not_found"
  | "invalid_transition"
  | "conflict"
  | "store_busy"
  | "store_unavailable";

export class RalphError extends Error {
  readonly code: ErrorCode;
  /** True when the same call may succeed if made again later (lock contention, a database restart). */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options?: { retryable?: boolean; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options?.retryable ?? false;
  }
}

/** The caller's input is malformed or out of range. Nothing was changed. */
export class ValidationError extends RalphError {
  constructor(message: string) {
    super("invalid_input", message);
  }
}

/** No task (or run) has that id. */
export class NotFoundError extends RalphError {
  constructor(message: string) {
    super("not_found", message);
  }
}

/** The task is not in a status from which the requested change is allowed. */
export class InvalidTransitionError extends RalphError {
  constructor(message: string) {
    super("invalid_transition", message);
  }
}

/** Someone else holds the task (its lease moved to another worker), or a key is taken. */
export class ConflictError extends RalphError {
  constructor(message: string) {
    super("conflict", message);
  }
}

/** The store could not get its write lock in time, or lost its connection. Try again. */
export class StoreUnavailableError extends RalphError {
  constructor(message: string, cause?: unknown) {
    super("store_unavailable", message, { retryable: true, cause });
  }
}

export function isRalphError(error: unknown): error is RalphError {
  return error instanceof RalphError;
}
