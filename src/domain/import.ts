/**
 * Importing tasks: what `ralph-mcp import` reads (what `export` writes: whole tasks, or new-task
 * objects with just a description and the like) checked row by row before any store sees it, so
 * a bad row adds nothing and is named. The stores then add the rows in one transaction
 * (TaskStore.importTasks).
 */
import { z } from "zod";
import { ValidationError } from "./errors.js";
import { tryParseTaskId } from "./ids.js";
import { FEEDBACK_SOURCES, type Feedback, TASK_STATUSES, type TaskStatus } from "./task.js";
import { findCycle, invalidValue, newTaskSchema, type ValidNewTask, validateNewTask } from "./validate.js";

/** Most rows one import takes (one transaction). */
export const IMPORT_LIMIT = 100_000;

const isoTime = (field: string) =>
  z
    .string({ error: `${field} must be a time like 2026-01-31T12:00:00.000Z` })
    .refine((s) => !Number.isNaN(Date.parse(s)), {
      error: `${field} must be a time like 2026-01-31T12:00:00.000Z`,
    });

const rowSchema = newTaskSchema.extend({
  id: z.string({ error: "id must be a task id like task-001" }).optional(),
  status: z.enum(TASK_STATUSES, { error: `status must be one of: ${TASK_STATUSES.join(", ")}` }).optional(),
  attempts: z
    .int({ error: "attempts must be a whole number, 0 or more" })
    .min(0, { error: "attempts must be 0 or more" })
    .optional(),
  result: z.string({ error: "result must be a string" }).nullish(),
  failure_reason: z.string({ error: "failure_reason must be a string" }).nullish(),
  feedback: z
    .array(
      z.object({
        text: z.string({ error: "feedback text must be a string" }),
        source: z.enum(FEEDBACK_SOURCES, {
          error: `feedback source must be one of: ${FEEDBACK_SOURCES.join(", ")}`,
        }),
        attempt: z.int({ error: "feedback attempt must be a whole number" }).min(0),
        at: isoTime("feedback at"),
      }),
      { error: "feedback must be a list of {text, source, attempt, at}" },
    )
    .optional(),
  created_at: isoTime("created_at").optional(),
  started_at: isoTime("started_at").nullish(),
  completed_at: isoTime("completed_at").nullish(),
  updated_at: isoTime("updated_at").optional(),
});

/** One row, checked: what the store writes. In-progress rows come in pending (a lease does not travel). */
export interface ImportRow {
  /** The id the row had in the file, when it named one; kept when the store has no task by it. */
  fileId: string | null;
  task: ValidNewTask;
  status: TaskStatus;
  attempts: number;
  result: string | null;
  failure_reason: string | null;
  feedback: Feedback[];
  created_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string | null;
}

export interface ImportResult {
  /** The tasks added, in file order. */
  created: import("./task.js").Task[];
  /**
   * Rows not added because the store holds their task already (a task with their idempotency_key,
   * or the very task by their id: isStoredAlready): row number (1-based) and that task's id.
   */
  existing: Array<{ row: number; id: string }>;
  /** For each row that named an id: the id it has now (the same unless that id was taken). */
  ids: Record<string, string>;
}

/**
 * Whether a row is a task the store holds already: the task by the row's id was created at the
 * same moment with the same description (what restoring the same export twice finds). Such a row
 * is skipped, like one whose idempotency_key is stored; a row whose id is taken by another task
 * is added under a new id.
 */
export function isStoredAlready(
  row: ImportRow,
  stored: { description: string; created_at: string } | undefined,
): boolean {
  if (stored === undefined || row.fileId === null || row.created_at === null) return false;
  return (
    stored.description === row.task.description &&
    Date.parse(stored.created_at) === Date.parse(row.created_at)
  );
}

const fail = (item: number, field: string | null, text: string) =>
  new ValidationError(`tasks[${item}]${field ? `.${field}` : ""}: ${text}`, {
    kind: "invalid_value",
    field,
    item,
    text,
  });

/** Check every row (as parsed from the file); the first bad one is a ValidationError naming it. */
export function validateImport(rows: unknown[]): ImportRow[] {
  if (rows.length === 0) {
    throw new ValidationError("There is nothing to import: the file holds no tasks.", {
      kind: "invalid_value",
      field: null,
      item: null,
      text: "There is nothing to import: the file holds no tasks.",
    });
  }
  if (rows.length > IMPORT_LIMIT) {
    const text = `One import takes at most ${IMPORT_LIMIT.toLocaleString("en-US")} tasks (got ${rows.length.toLocaleString("en-US")}); split the file.`;
    throw new ValidationError(text, { kind: "invalid_value", field: null, item: null, text });
  }
  const seen = new Map<string, number>();
  const out = rows.map((raw, i): ImportRow => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw fail(i, null, "must be an object with at least a description");
    }
    const parsed = rowSchema.safeParse(raw);
    if (!parsed.success) throw invalidValue(parsed.error, `tasks[${i}]`);
    const r = parsed.data;
    const task = validateNewTask(raw as Parameters<typeof validateNewTask>[0], `tasks[${i}]`);
    let fileId: string | null = null;
    if (r.id !== undefined) {
      if (tryParseTaskId(r.id) === null) throw fail(i, "id", `"${r.id}" is not a task id like task-001`);
      fileId = r.id.trim();
      const before = seen.get(fileId);
      if (before !== undefined) throw fail(i, "id", `${fileId} is also the id of row ${before + 1}`);
      seen.set(fileId, i);
    }
    for (const dep of task.depends_on) {
      if (dep.startsWith("#") || tryParseTaskId(dep) === null) {
        throw fail(i, "depends_on", `"${dep}" is not a task id like task-001`);
      }
    }
    const status = r.status === "in_progress" ? "pending" : (r.status ?? "pending");
    const attempts = r.attempts ?? 0;
    if (attempts > task.max_attempts) {
      throw fail(i, "attempts", `${attempts} is more than max_attempts (${task.max_attempts})`);
    }
    return {
      fileId,
      task,
      status,
      attempts,
      result: r.result ?? null,
      failure_reason: r.failure_reason ?? null,
      feedback: r.feedback ?? [],
      created_at: r.created_at ?? null,
      started_at: r.started_at ?? null,
      completed_at: r.completed_at ?? null,
      updated_at: r.updated_at ?? null,
    };
  });
  // Dependencies between rows of the file must not form a cycle (nothing in one could ever start).
  const edges = out.map((row) =>
    row.task.depends_on.map((d) => seen.get(d)).filter((j): j is number => j !== undefined),
  );
  const cycle = findCycle(edges);
  if (cycle) {
    const first = cycle[0] as number;
    throw fail(
      first,
      "depends_on",
      `the file's dependencies form a cycle: rows ${cycle.map((j) => j + 1).join(" → ")}`,
    );
  }
  return out;
}
