/**
 * Task transitions as pure functions: (task, input, now) → the next task, or a typed error that
 * names the task, its current status and what to do instead. The stores call these inside their
 * write transactions, so the rules live here once; which task a claim takes, and what a claim and
 * a completion write (which PostgreSQL's one-statement hot path also builds its SQL from), are in
 * claim.ts. test/store/contract.ts holds every store to these functions field by field.
 *
 *   add            → pending
 *   start / claim  pending → in_progress            attempts + 1, lease taken
 *   complete       pending | in_progress → completed
 *   fail           pending | in_progress → failed
 *   retry          in_progress | failed | completed → pending   while attempts < max_attempts
 *                                                   → failed    "Max attempts (N) reached"
 *   release        in_progress → pending            the attempt is given back (cancelled run)
 *   lease expiry   in_progress → pending, or failed when its attempts are spent
 *   reset          any → pending, attempts 0
 */
import { applyWrites, CLAIM_WRITES, COMPLETE_WRITES } from "./claim.js";
import { ConflictError, InvalidTransitionError, type TaskAction, ValidationError } from "./errors.js";
import { type Feedback, type FeedbackSource, LIMITS, type Task, type TaskStatus } from "./task.js";
import type { TaskPatch, ValidNewTask } from "./validate.js";

export type Action = Extract<TaskAction, "start" | "complete" | "fail" | "retry" | "release" | "renew_lease">;

/** From which statuses each action is allowed. Stores use this to build their fast-path SQL too. */
export const ALLOWED_FROM: Readonly<Record<Action, readonly TaskStatus[]>> = {
  start: ["pending"],
  complete: ["pending", "in_progress"],
  fail: ["pending", "in_progress"],
  retry: ["in_progress", "failed", "completed"],
  release: ["in_progress"],
  renew_lease: ["in_progress"],
};

/** The past participle of each action, for messages ("can be completed"). */
export const VERB: Record<TaskAction, string> = {
  start: "started",
  complete: "completed",
  fail: "failed",
  retry: "retried",
  release: "released",
  renew_lease: "given a longer lease",
  update: "edited",
  delete: "deleted",
};

/** The refusal of `action` on `task`, whose status does not allow it (the problem says which do). */
function wrongStatus(task: Task, action: TaskAction, allowed: readonly TaskStatus[]): InvalidTransitionError {
  const statement =
    task.status === "completed" && action === "complete"
      ? `${task.id} is already completed.`
      : task.status === "failed" && action === "fail"
        ? `${task.id} has already failed.`
        : `${task.id} is ${task.status}: only a task that is ${allowed.join(" or ")} can be ${VERB[action]}.`;
  return new InvalidTransitionError(statement, {
    kind: "wrong_status",
    id: task.id,
    action,
    status: task.status,
    allowed,
    claimed_by: task.claimed_by,
    attempts: task.attempts,
  });
}

function assertAllowed(task: Task, action: Action): void {
  if (ALLOWED_FROM[action].includes(task.status)) return;
  throw wrongStatus(task, action, ALLOWED_FROM[action]);
}

/** A worker that names itself may only act on a task it holds (its lease may have passed to another). */
function assertHolder(task: Task, input: FinishInput): void {
  const { workerId } = input;
  if (workerId === undefined) return;
  if (input.requireHeld && !(task.status === "in_progress" && task.claimed_by === workerId)) {
    // A run writing back its attempt: anything but "still ours" means someone else decided since.
    const now =
      task.status === "in_progress"
        ? `claimed by ${task.claimed_by ?? "another worker"} (attempt ${task.attempts})`
        : task.status;
    throw new ConflictError(
      `${task.id} is no longer held by ${workerId}: it is ${now} now. Its outcome was decided elsewhere; leave it and take another task.`,
      {
        kind: "not_held",
        id: task.id,
        worker: workerId,
        status: task.status,
        claimed_by: task.claimed_by,
        attempts: task.attempts,
      },
    );
  }
  if (task.status !== "in_progress" || task.claimed_by === workerId) return;
  throw new ConflictError(
    `${task.id} is now claimed by ${task.claimed_by ?? "another worker"} (attempt ${task.attempts}); ` +
      `${workerId}'s lease ran out and the task went back in line. Leave it and take another task.`,
    {
      kind: "lease_lost",
      id: task.id,
      worker: workerId,
      claimed_by: task.claimed_by,
      attempts: task.attempts,
    },
  );
}

const iso = (ms: number) => new Date(ms).toISOString();

export function createTask(id: string, input: ValidNewTask, now: number): Task {
  const at = iso(now);
  return {
    id,
    description: input.description,
    criteria: input.criteria,
    priority: input.priority,
    max_attempts: input.max_attempts,
    attempts: 0,
    status: "pending",
    result: null,
    failure_reason: null,
    feedback: [],
    depends_on: input.depends_on,
    tags: input.tags,
    idempotency_key: input.idempotency_key,
    created_at: at,
    started_at: null,
    completed_at: null,
    updated_at: at,
    lease_expires_at: null,
    claimed_by: null,
    not_before: input.run_at,
  };
}

interface StartInput {
  workerId: string;
  leaseMs: number;
  now: number;
  /** Ids of dependencies that are not completed yet; a task with any cannot start. */
  unmetDependencies?: readonly string[];
}

export function startTask(task: Task, input: StartInput): Task {
  assertAllowed(task, "start");
  const unmet = input.unmetDependencies ?? [];
  if (unmet.length > 0) {
    throw new InvalidTransitionError(
      `${task.id} waits for ${unmet.join(", ")}, which ${unmet.length === 1 ? "is" : "are"} not completed yet.`,
      { kind: "dependencies_unmet", id: task.id, unmet: [...unmet] },
    );
  }
  if (task.attempts >= task.max_attempts) {
    throw new InvalidTransitionError(
      `${task.id} has used all ${task.max_attempts} attempts; it cannot be started again.`,
      { kind: "attempts_spent", id: task.id, max_attempts: task.max_attempts },
    );
  }
  return applyWrites(task, CLAIM_WRITES, {
    now: input.now,
    leaseMs: input.leaseMs,
    workerId: input.workerId,
  });
}

interface FinishInput {
  now: number;
  /** When given, the task must not be held by a different worker. */
  workerId?: string | undefined;
  /**
   * With workerId: the task must still be in progress under that worker (an orchestrator writing
   * back its attempt must not overwrite what a person or another worker decided meanwhile).
   */
  requireHeld?: boolean | undefined;
}

export function completeTask(task: Task, result: string, input: FinishInput): Task {
  assertHolder(task, input);
  assertAllowed(task, "complete");
  return applyWrites(task, COMPLETE_WRITES, { now: input.now, result });
}

export function failTask(task: Task, reason: string, input: FinishInput): Task {
  assertHolder(task, input);
  assertAllowed(task, "fail");
  return {
    ...task,
    status: "failed",
    failure_reason: reason,
    updated_at: iso(input.now),
    lease_expires_at: null,
    claimed_by: null,
  };
}

interface RetryInput extends FinishInput {
  source?: FeedbackSource | undefined;
  /** Back-off: the task is not eligible again until this many ms after `now` (0 or none: at once). */
  delayMs?: number | undefined;
}

function maxAttemptsReason(task: Task): string {
  return `Max attempts (${task.max_attempts}) reached`;
}

/** Back to pending with the feedback kept, or failed for good once its attempts are spent. */
export function retryTask(task: Task, feedback: string, input: RetryInput): Task {
  assertHolder(task, input);
  assertAllowed(task, "retry");
  if (task.feedback.length >= LIMITS.feedbackEntries && feedback.trim().length > 0) {
    throw new InvalidTransitionError(
      `${task.id} already carries ${LIMITS.feedbackEntries} feedback entries; add a new task with what was learned instead.`,
      { kind: "feedback_full", id: task.id, limit: LIMITS.feedbackEntries },
    );
  }
  const entry: Feedback[] =
    feedback.trim().length > 0
      ? [{ text: feedback, source: input.source ?? "user", attempt: task.attempts, at: iso(input.now) }]
      : [];
  const base = {
    ...task,
    feedback: [...task.feedback, ...entry],
    updated_at: iso(input.now),
    lease_expires_at: null,
    claimed_by: null,
  };
  if (task.attempts >= task.max_attempts) {
    return { ...base, status: "failed", failure_reason: maxAttemptsReason(task) };
  }
  const delay = input.delayMs ?? 0;
  return {
    ...base,
    status: "pending",
    result: null,
    failure_reason: null,
    completed_at: null,
    not_before: delay > 0 ? iso(input.now + delay) : null,
  };
}

/** An in-progress task goes back in line without using up the attempt (its run was cancelled). */
export function releaseTask(task: Task, input: FinishInput & { note?: string | undefined }): Task {
  assertHolder(task, input);
  assertAllowed(task, "release");
  const entry: Feedback[] = input.note
    ? [{ text: input.note, source: "system", attempt: task.attempts, at: iso(input.now) }]
    : [];
  return {
    ...task,
    status: "pending",
    attempts: Math.max(0, task.attempts - 1),
    feedback: [...task.feedback, ...entry],
    updated_at: iso(input.now),
    lease_expires_at: null,
    claimed_by: null,
  };
}

export function renewLease(task: Task, input: { now: number; workerId: string; leaseMs: number }): Task {
  assertAllowed(task, "renew_lease");
  assertHolder(task, input);
  return { ...task, lease_expires_at: iso(input.now + input.leaseMs), updated_at: iso(input.now) };
}

function isLeaseExpired(task: Task, now: number): boolean {
  return (
    task.status === "in_progress" &&
    task.lease_expires_at !== null &&
    Date.parse(task.lease_expires_at) <= now
  );
}

/**
 * A lease that ran out means its worker died or stalled: the task goes back in line, or fails when
 * that was its last attempt. Returns the task unchanged when its lease has not expired.
 */
export function expireLease(task: Task, now: number): Task {
  if (!isLeaseExpired(task, now)) return task;
  const who = task.claimed_by ?? "its worker";
  const base = { ...task, updated_at: iso(now), lease_expires_at: null, claimed_by: null };
  if (task.attempts >= task.max_attempts) {
    return {
      ...base,
      status: "failed",
      failure_reason: `${maxAttemptsReason(task)}: the lease of attempt ${task.attempts} expired (${who} stopped responding)`,
    };
  }
  return {
    ...base,
    status: "pending",
    feedback: [
      ...task.feedback,
      {
        text: `Attempt ${task.attempts} was abandoned: the lease held by ${who} expired.`,
        source: "system",
        attempt: task.attempts,
        at: iso(now),
      },
    ],
  };
}

/**
 * A pending task with some of what it is changed (the patch is validated; depends_on resolved by
 * the store). Any other status is refused: a task that started is history, not a draft.
 */
export function updateTask(task: Task, patch: TaskPatch, now: number): Task {
  if (task.status !== "pending") throw wrongStatus(task, "update", ["pending"]);
  if (patch.max_attempts !== undefined && patch.max_attempts < task.attempts) {
    throw new ValidationError(
      `max_attempts must be at least ${task.attempts}: ${task.id} has used ${task.attempts} attempts already.`,
      {
        kind: "invalid_value",
        field: "max_attempts",
        item: null,
        text: `must be at least ${task.attempts}: ${task.id} has used ${task.attempts} attempts already.`,
      },
    );
  }
  if (patch.depends_on?.includes(task.id)) {
    throw new ValidationError(`${task.id} cannot depend on itself.`, {
      kind: "invalid_value",
      field: "depends_on",
      item: null,
      text: `cannot name the task itself (${task.id}).`,
    });
  }
  return {
    ...task,
    description: patch.description ?? task.description,
    criteria: patch.criteria === undefined ? task.criteria : patch.criteria,
    priority: patch.priority ?? task.priority,
    max_attempts: patch.max_attempts ?? task.max_attempts,
    depends_on: patch.depends_on ?? task.depends_on,
    tags: patch.tags ?? task.tags,
    updated_at: iso(now),
  };
}

/** An in-progress task is deleted only when forced (someone is working on it). */
export function assertDeletable(task: Task, force: boolean): void {
  if (task.status === "in_progress" && !force) {
    throw wrongStatus(task, "delete", ["pending", "completed", "failed"]);
  }
}

/** Everything back to a fresh pending task; what it is (description, priority, …) stays. */
export function resetTask(task: Task, now: number): Task {
  return {
    ...task,
    status: "pending",
    attempts: 0,
    result: null,
    failure_reason: null,
    feedback: [],
    started_at: null,
    completed_at: null,
    updated_at: iso(now),
    lease_expires_at: null,
    claimed_by: null,
  };
}
