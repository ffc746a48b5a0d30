/**
 * The task model: what a task is, its statuses, and the limits every input is held to.
 * Pure data, no I/O. Field names are the public (snake_case) names used on the MCP surface.
 */

export const TASK_STATUSES = ["pending", "in_progress", "completed", "failed"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export function isTaskStatus(value: string): value is TaskStatus {
  return (TASK_STATUSES as readonly string[]).includes(value);
}

export const FEEDBACK_SOURCES = ["verifier", "user", "system"] as const;
export type FeedbackSource = (typeof FEEDBACK_SOURCES)[number];

/** One retry's feedback, kept in order so the next attempt can learn from every earlier one. */
export interface Feedback {
  text: string;
  source: FeedbackSource;
  /** The attempt this feedback is about (the task's `attempts` when it was given). */
  attempt: number;
  at: string;
}

export interface Task {
  id: string;
  description: string;
  criteria: string | null;
  /** 1 (highest) … 10 (lowest). */
  priority: number;
  max_attempts: number;
  /** How many times the task was started. */
  attempts: number;
  status: TaskStatus;
  result: string | null;
  failure_reason: string | null;
  feedback: Feedback[];
  depends_on: string[];
  tags: string[];
  idempotency_key: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string;
  lease_expires_at: string | null;
  claimed_by: string | null;
  /**
   * Not eligible before this time (ISO 8601): a retry's back-off. Null when it may run now; a
   * claim clears it.
   */
  not_before: string | null;
}

/** Bounds on every input. Each is enforced before anything reaches a store. */
export const LIMITS = {
  descriptionChars: 20_000,
  criteriaChars: 20_000,
  resultChars: 100_000,
  reasonChars: 20_000,
  feedbackChars: 20_000,
  feedbackEntries: 100,
  tags: 20,
  tagChars: 64,
  idempotencyKeyChars: 200,
  dependencies: 100,
  batch: 500,
  listLimit: 500,
  workerIdChars: 200,
  minPriority: 1,
  maxPriority: 10,
  defaultPriority: 5,
  minAttempts: 1,
  maxAttempts: 100,
  defaultMaxAttempts: 3,
} as const;

/** A task as the caller describes it, before the store gives it an id. */
export interface NewTask {
  description: string;
  criteria?: string | null | undefined;
  priority?: number | undefined;
  max_attempts?: number | undefined;
  /**
   * Task ids this one waits for. Inside a batch, `#N` names the batch's N-th item (1-based),
   * so a plan can be added in one call with its order intact.
   */
  depends_on?: string[] | undefined;
  tags?: string[] | undefined;
  idempotency_key?: string | null | undefined;
  /** Not eligible before this time (ISO 8601): the task waits until then (`not_before`). */
  run_at?: string | null | undefined;
}

export interface TaskStats {
  total: number;
  pending: number;
  in_progress: number;
  completed: number;
  failed: number;
  /** Pending tasks still waiting for a dependency. */
  blocked: number;
  /** completed / total (0 when empty). */
  completion_rate: number;
  /** failed / total (0 when empty). */
  failure_rate: number;
  /** Mean of `attempts` over all tasks (0 when empty). */
  average_attempts: number;
}

export function emptyCounts(): Record<TaskStatus, number> {
  return { pending: 0, in_progress: 0, completed: 0, failed: 0 };
}

/** Stats from per-status counts; both stores keep counts and derive the rest here. */
export function statsFromCounts(
  counts: Record<TaskStatus, number>,
  attemptsSum: number,
  blocked: number,
): TaskStats {
  const total = counts.pending + counts.in_progress + counts.completed + counts.failed;
  const ratio = (n: number) => (total === 0 ? 0 : Math.round((n / total) * 10_000) / 10_000);
  return {
    total,
    ...counts,
    blocked,
    completion_rate: ratio(counts.completed),
    failure_rate: ratio(counts.failed),
    average_attempts: total === 0 ? 0 : Math.round((attemptsSum / total) * 100) / 100,
  };
}
