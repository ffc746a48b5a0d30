/**
 * What a model sees of a task. A task may carry up to ~2 MB of text (a 100,000-character result,
 * 100 feedback entries), and a queue may hold millions of tasks, so every view here is bounded:
 * lists show short summaries, a single task is cut to fit a byte budget with a note that says
 * how to read the rest (get_task with `field` and `offset`). No response built from these views
 * goes over about 40 KB.
 */
import type { Feedback, Task } from "../domain/task.js";

/** Characters of a text field shown in list entries (the brief cuts results to 200). */
export const SUMMARY_CHARS = 200;
/** Byte budget for one task view; the response carries it twice (text and structuredContent). */
export const DETAIL_BUDGET_BYTES = 16_000;
/** How many entries list resources show at most. */
export const RESOURCE_LIST_LIMIT = 100;

/** The long text fields get_task can page through. */
export const LONG_FIELDS = ["description", "criteria", "result", "failure_reason", "feedback"] as const;
export type LongField = (typeof LONG_FIELDS)[number];

export function bytes(value: unknown): number {
  return Buffer.byteLength(typeof value === "string" ? value : JSON.stringify(value), "utf8");
}

/** `text` cut to `max` characters with an ellipsis; null stays null. Never splits a surrogate pair. */
export function cut(text: string | null, max: number): string | null {
  if (text === null || text.length <= max) return text;
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** One line of a list: enough to pick a task, never long. */
export function taskSummary(task: Task): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: task.id,
    status: task.status,
    priority: task.priority,
    attempts: task.attempts,
    max_attempts: task.max_attempts,
    description: cut(task.description, SUMMARY_CHARS),
  };
  if (task.depends_on.length > 0) view.depends_on = task.depends_on.slice(0, 20);
  if (task.tags.length > 0) view.tags = task.tags;
  if (task.claimed_by) view.claimed_by = task.claimed_by;
  if (task.result !== null) view.result = cut(task.result, SUMMARY_CHARS);
  if (task.failure_reason !== null) view.failure_reason = cut(task.failure_reason, SUMMARY_CHARS);
  return view;
}

/** The feedback log as plain text, oldest first (what get_task pages through for field "feedback"). */
export function feedbackText(feedback: Feedback[]): string {
  return feedback.map((f) => `[attempt ${f.attempt}, ${f.source}, ${f.at}] ${f.text}`).join("\n\n");
}

export function fieldText(task: Task, field: LongField): string {
  return field === "feedback" ? feedbackText(task.feedback) : (task[field] ?? "");
}

/**
 * One task in full, unless that would be too big: then long fields are cut (each to `limit`
 * characters, halving until the view fits the budget), the oldest feedback entries are left out,
 * and `truncated` says which fields were cut and how to read them whole.
 */
export function taskDetail(task: Task, budget = DETAIL_BUDGET_BYTES): Record<string, unknown> {
  const full = { ...task } as Record<string, unknown>;
  if (bytes(full) <= budget) return full;
  for (let limit = 8_000; ; limit = Math.floor(limit / 2)) {
    const view = cutTask(task, Math.max(limit, 100));
    if (bytes(view) <= budget || limit <= 100) return view;
  }
}

function cutTask(task: Task, limit: number): Record<string, unknown> {
  const truncated: Record<string, { shown: number; total: number }> = {};
  const take = (field: Exclude<LongField, "feedback">): string | null => {
    const value = task[field];
    if (value === null || value.length <= limit) return value;
    truncated[field] = { shown: limit, total: value.length };
    return cut(value, limit);
  };
  const keep = Math.max(1, Math.min(10, Math.floor(limit / 400)));
  const entryChars = Math.max(100, Math.floor(limit / 4));
  const kept = task.feedback.slice(-keep);
  const recent = kept.map((f) => ({ ...f, text: cut(f.text, entryChars) ?? "" }));
  if (kept.length < task.feedback.length || kept.some((f) => f.text.length > entryChars)) {
    truncated.feedback = { shown: recent.length, total: task.feedback.length };
  }
  const view: Record<string, unknown> = {
    ...task,
    description: take("description"),
    criteria: take("criteria"),
    result: take("result"),
    failure_reason: take("failure_reason"),
    feedback: recent,
    depends_on: task.depends_on,
  };
  if (recent.length < task.feedback.length) view.feedback_omitted = task.feedback.length - recent.length;
  if (Object.keys(truncated).length > 0) {
    view.truncated = truncated;
    view.note = `Long fields are cut to fit. Read one whole with get_task {"task_id": "${task.id}", "field": "<name>", "offset": 0} and follow next_offset.`;
  }
  return view;
}

/**
 * The longest prefix of `items` whose rendering fits `budget` bytes (at least one item, so a
 * caller always makes progress). `render` builds the payload for a prefix length.
 */
export function fitPrefix<T>(items: T[], budget: number, render: (count: number) => unknown): number {
  if (items.length === 0 || bytes(render(items.length)) <= budget) return items.length;
  let lo = 1;
  let hi = items.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (bytes(render(mid)) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
