/**
 * Where a task is claimed: the one statement of the rules every store follows when it hands out
 * the next task (claim_next_task, the orchestrator's workers) and when it completes one.
 *
 * Eligible: a task that is pending, whose dependencies are all completed, and whose attempts are
 * not spent (attempts < max_attempts; a spent pending task waits for a person, it is never handed
 * out). Order: priority (1 first), then age (the lower id first). Stores find the head with a
 * partial index (`tasks_ready`) and filter the attempts on it: store/sqlite/statements.ts `next`,
 * store/postgres/sql/claim.ts.
 *
 * What a claim writes is `CLAIM_WRITES`, what a completion writes is `COMPLETE_WRITES`:
 * `startTask` and `completeTask` (transitions.ts) apply them in JavaScript, and PostgreSQL's
 * single-statement hot path builds its SET clauses from the same tables (sql/claim.ts,
 * sql/complete.ts), so the two cannot drift. test/store/contract.ts compares every store's result
 * with the domain's, field by field.
 *
 * Stalled claims (an expired lease: its worker died) go back in line by `expireLease`. A claim
 * first recovers them when it has not done so for `LEASE_RECOVERY_MS`, and always when it finds
 * nothing eligible, then looks once more: a busy queue recovers a stalled task within a second of
 * its lease ending, and an idle worker picks it up at once.
 */
import type { Task } from "./task.js";

/** How often, at most, a claim that finds work also looks for expired leases (ms). */
export const LEASE_RECOVERY_MS = 1_000;

/**
 * Whether a task may be handed out by a claim at `now`. `unmetDependencies`: how many are not
 * completed. A task backing off (`not_before` after now) waits; the stores filter it on the same
 * index scan as the spent attempts, so a claim costs the same.
 */
export function isClaimable(task: Task, unmetDependencies: number, now: number): boolean {
  return (
    task.status === "pending" &&
    unmetDependencies === 0 &&
    task.attempts < task.max_attempts &&
    (task.not_before === null || Date.parse(task.not_before) <= now)
  );
}

/** Claim order: negative when `a` is handed out before `b`. Ids of one store sort by age. */
export function claimOrder(a: Task, b: Task): number {
  return a.priority - b.priority || a.id.localeCompare(b.id, "en", { numeric: true });
}

/**
 * Where a written field's value comes from: the time of the change, the lease's end (now + lease),
 * the worker, the result given, the attempts counted up, a status, or null.
 */
export type WriteSource =
  | "now"
  | "lease_end"
  | "worker"
  | "result"
  | "next_attempt"
  | { status: Task["status"] }
  | null;

export type Writes = Readonly<Partial<Record<keyof Task, WriteSource>>>;

/** What starting a task (a claim or start_task) writes. */
export const CLAIM_WRITES = {
  status: { status: "in_progress" },
  attempts: "next_attempt",
  started_at: "now",
  updated_at: "now",
  lease_expires_at: "lease_end",
  claimed_by: "worker",
  result: null,
  failure_reason: null,
  completed_at: null,
  not_before: null,
} as const satisfies Writes;

/** What completing a task writes. */
export const COMPLETE_WRITES = {
  status: { status: "completed" },
  result: "result",
  failure_reason: null,
  completed_at: "now",
  updated_at: "now",
  lease_expires_at: null,
  claimed_by: null,
} as const satisfies Writes;

interface WriteInputs {
  now: number;
  leaseMs?: number;
  workerId?: string;
  result?: string;
}

/** The task after `writes`, in JavaScript (the stores' SQL builds the same from the same table). */
export function applyWrites(task: Task, writes: Writes, input: WriteInputs): Task {
  const next: Record<string, unknown> = { ...task };
  for (const [field, source] of Object.entries(writes) as Array<[keyof Task, WriteSource]>) {
    next[field] = written(task, source, input);
  }
  return next as unknown as Task;
}

function written(task: Task, source: WriteSource, input: WriteInputs): unknown {
  if (source === null) return null;
  if (typeof source === "object") return source.status;
  switch (source) {
    case "now":
      return new Date(input.now).toISOString();
    case "lease_end":
      return new Date(input.now + (input.leaseMs ?? 0)).toISOString();
    case "worker":
      return input.workerId ?? null;
    case "result":
      return input.result ?? null;
    case "next_attempt":
      return task.attempts + 1;
  }
}
