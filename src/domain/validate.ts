/**
 * Input schemas (zod 4) shared by every entry point: the MCP tools expose them to clients, and
 * the stores run them again, so the CLI and the orchestrator get the same checks and messages.
 */
import { z } from "zod";
import { noIds, repeatedIds, ValidationError } from "./errors.js";
import { formatTaskId, tryParseTaskId } from "./ids.js";
import { LIMITS, type NewTask } from "./task.js";
import { textProblem } from "./text.js";

const text = (field: string, max: number) =>
  z
    .string({ error: `${field} must be a string` })
    .max(max, { error: `${field} is too long: at most ${max.toLocaleString("en-US")} characters` })
    .superRefine((value, ctx) => {
      const problem = textProblem(value);
      if (problem !== null) ctx.addIssue({ code: "custom", message: `${field} ${problem}` });
    });

export const descriptionSchema = text("description", LIMITS.descriptionChars)
  .refine((s) => s.trim().length > 0, {
    error: "description must not be empty: say what the task should accomplish",
  })
  .describe("What the task should accomplish (1–20,000 characters)");

export const prioritySchema = z
  .int({ error: "priority must be a whole number from 1 (highest) to 10 (lowest)" })
  .min(LIMITS.minPriority, { error: "priority must be from 1 (highest) to 10 (lowest)" })
  .max(LIMITS.maxPriority, { error: "priority must be from 1 (highest) to 10 (lowest)" })
  .describe("Priority: 1 (highest) … 10 (lowest); default 5");

export const maxAttemptsSchema = z
  .int({ error: "max_attempts must be a whole number from 1 to 100" })
  .min(LIMITS.minAttempts, { error: "max_attempts must be from 1 to 100" })
  .max(LIMITS.maxAttempts, { error: "max_attempts must be from 1 to 100" })
  .describe("How many times the task may be started before it fails for good (1–100); default 3");

export const criteriaSchema = text("criteria", LIMITS.criteriaChars).describe(
  "Acceptance criteria, given to the executor and the verifier",
);

export const dependsOnSchema = z
  .array(z.string().max(32, { error: "each depends_on entry must be a task id like task-001" }), {
    error: "depends_on must be a list of task ids",
  })
  .max(LIMITS.dependencies, { error: `depends_on may name at most ${LIMITS.dependencies} tasks` })
  .describe("Task ids that must be completed before this one can start (in a batch, #N names its N-th item)");

export const tagsSchema = z
  .array(text("a tag", LIMITS.tagChars), { error: "tags must be a list of strings" })
  .max(LIMITS.tags, { error: `at most ${LIMITS.tags} tags` })
  .describe("Free-form labels");

export const idempotencyKeySchema = text("idempotency_key", LIMITS.idempotencyKeyChars)
  .min(1, { error: "idempotency_key must not be empty" })
  .describe("A second add with the same key returns the first task instead of creating another");

export const runAtSchema = z
  .string({ error: "run_at must be a date and time, e.g. 2026-05-01T09:00:00Z" })
  .refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(s.trim()) && !Number.isNaN(Date.parse(s)), {
    error: "run_at must be an ISO 8601 date and time, e.g. 2026-05-01T09:00:00Z",
  })
  .describe("Not eligible before this time (ISO 8601)");

export const newTaskSchema = z.object({
  description: descriptionSchema,
  criteria: criteriaSchema.nullish(),
  priority: prioritySchema.optional(),
  max_attempts: maxAttemptsSchema.optional(),
  depends_on: dependsOnSchema.optional(),
  tags: tagsSchema.optional(),
  idempotency_key: idempotencyKeySchema.nullish(),
  run_at: runAtSchema.nullish(),
});

export const resultSchema = text("result", LIMITS.resultChars).describe("The result or output of the task");
export const reasonSchema = text("reason", LIMITS.reasonChars)
  .refine((s) => s.trim().length > 0, { error: "reason must not be empty: say why the task failed" })
  .describe("Why the task failed");
export const feedbackSchema = text("feedback", LIMITS.feedbackChars).describe(
  "What the next attempt should do differently",
);

/** What `update` may change about a pending task; at least one field. */
export const taskPatchSchema = z
  .object({
    description: descriptionSchema.optional(),
    criteria: criteriaSchema.nullable().optional(),
    priority: prioritySchema.optional(),
    max_attempts: maxAttemptsSchema.optional(),
    depends_on: dependsOnSchema.optional(),
    tags: tagsSchema.optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), {
    error: "Say what to change: description, criteria, priority, max_attempts, depends_on or tags",
  });

export type TaskPatch = z.input<typeof taskPatchSchema>;

/** A patch checked, with lists cleaned as on add (ids trimmed, duplicates dropped). */
export function validateTaskPatch(input: TaskPatch): TaskPatch {
  const p = parseOrThrow(taskPatchSchema, input);
  return {
    ...p,
    ...(p.depends_on ? { depends_on: [...new Set(p.depends_on.map((d) => d.trim()))] } : {}),
    ...(p.tags ? { tags: [...new Set(p.tags)] } : {}),
  };
}

/** A new task with defaults applied; what a store writes. */
export interface ValidNewTask {
  description: string;
  criteria: string | null;
  priority: number;
  max_attempts: number;
  depends_on: string[];
  tags: string[];
  idempotency_key: string | null;
  /** Not eligible before this time (ISO 8601, UTC), or null. */
  run_at: string | null;
}

/** The first zod issue as one sentence, prefixed with where it is (e.g. "tasks[3].priority"). */
/**
 * The first zod issue as a ValidationError whose problem names the field and the batch item.
 * Messages start with their field's name ("priority must be …"); the problem's `text` is the rest.
 */
export function invalidValue(error: z.ZodError, prefix?: string): ValidationError {
  const issue = error.issues[0];
  const item = prefix === undefined ? null : itemOf(prefix);
  if (!issue) {
    return new ValidationError("invalid input", {
      kind: "invalid_value",
      field: null,
      item,
      text: "invalid input",
    });
  }
  const parts = [prefix, ...issue.path.map(String)].filter((p): p is string => p !== undefined && p !== "");
  const field = issue.path.length > 0 ? String(issue.path[0]) : null;
  const last = parts.at(-1);
  let message: string;
  let text = issue.message;
  if (last !== undefined && issue.message.startsWith(last)) {
    // Put only the outer path before the field's own name.
    const outer = parts.slice(0, -1).join(".");
    message = outer ? `${outer}.${issue.message}` : issue.message;
    text = issue.message.slice(last.length).trimStart();
  } else {
    message = parts.length > 0 ? `${parts.join(".")}: ${issue.message}` : issue.message;
  }
  return new ValidationError(message, { kind: "invalid_value", field, item, text });
}

/** The item index in a prefix like "tasks[3]", else null. */
function itemOf(prefix: string): number | null {
  const match = /\[(\d+)\]$/.exec(prefix);
  return match ? Number(match[1]) : null;
}

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, prefix?: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidValue(parsed.error, prefix);
  return parsed.data;
}

export function validateNewTask(input: NewTask, prefix?: string): ValidNewTask {
  const t = parseOrThrow(newTaskSchema, input, prefix);
  const deps = [...new Set((t.depends_on ?? []).map((d) => d.trim()))];
  return {
    description: t.description,
    criteria: t.criteria ?? null,
    priority: t.priority ?? LIMITS.defaultPriority,
    max_attempts: t.max_attempts ?? LIMITS.defaultMaxAttempts,
    depends_on: deps,
    tags: [...new Set(t.tags ?? [])],
    idempotency_key: t.idempotency_key ?? null,
    run_at: t.run_at ? new Date(t.run_at).toISOString() : null,
  };
}

/**
 * Validates a batch and resolves its `#N` references into edges between batch items.
 * Returns, for each item, the indexes (0-based) of the batch items it depends on; a reference
 * to itself, out of range, or forming a cycle is a ValidationError.
 */
export interface ValidBatch {
  tasks: ValidNewTask[];
  /** For each item, the indexes (0-based) of the batch items it depends on (`#N`). */
  localDeps: number[][];
  /** For each item, the first item with its idempotency key (its own index when none). */
  firstWithKey: number[];
}

export function validateBatch(inputs: NewTask[]): ValidBatch {
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new ValidationError("A batch needs at least one task.");
  }
  if (inputs.length > LIMITS.batch) throw batchTooBig(inputs.length);
  const tasks = inputs.map((input, i) => validateNewTask(input, `tasks[${i}]`));
  const localDeps = tasks.map((task, i) => {
    const local: number[] = [];
    for (const dep of task.depends_on) {
      if (!dep.startsWith("#")) continue;
      const n = Number(dep.slice(1));
      if (!Number.isInteger(n) || n < 1 || n > tasks.length) {
        throw new ValidationError(
          `tasks[${i}].depends_on: "${dep}" names no item of this batch; use #1 … #${tasks.length}, or a task id.`,
          {
            kind: "invalid_value",
            field: "depends_on",
            item: i,
            text: `"${dep}" names no item of this batch; use #1 … #${tasks.length}, or a task id.`,
          },
        );
      }
      if (n - 1 === i) {
        throw new ValidationError(`tasks[${i}] cannot depend on itself (${dep}).`, {
          kind: "invalid_value",
          field: "depends_on",
          item: i,
          text: `a task cannot depend on itself (${dep}).`,
        });
      }
      local.push(n - 1);
    }
    return local;
  });
  const cycle = findCycle(localDeps);
  if (cycle) {
    throw new ValidationError(
      `The batch's dependencies form a cycle: ${cycle.map((i) => `#${i + 1}`).join(" → ")}. Remove one of those depends_on entries.`,
    );
  }
  return { tasks, localDeps, firstWithKey: firstWithKey(tasks) };
}

function batchTooBig(n: number): ValidationError {
  return new ValidationError(
    `A batch holds at most ${LIMITS.batch} tasks (got ${n}); split it into several calls.`,
  );
}

/**
 * Within-batch idempotency: for each item, the index of the first item of the batch with the same
 * idempotency key (a repeat gets that item's task); its own index when it has no key or is the first.
 */
function firstWithKey(tasks: readonly ValidNewTask[]): number[] {
  const first = new Map<string, number>();
  return tasks.map((task, i) => {
    const key = task.idempotency_key;
    if (key === null) return i;
    const seen = first.get(key);
    if (seen !== undefined) return seen;
    first.set(key, i);
    return i;
  });
}

/** The ids of a batch operation (complete_tasks_batch): 1 … 500, each named once. */
export function validateIdBatch(ids: readonly string[]): string[] {
  if (ids.length === 0) throw noIds();
  if (ids.length > LIMITS.batch) throw batchTooBig(ids.length);
  // The same task may be written in several ways (task-523, task-0523, " task-523"): compare the
  // task each entry names, so the refusal says so instead of "already completed" on the second.
  const seen = new Map<string, string>();
  for (const id of ids) {
    const seq = tryParseTaskId(id);
    const task = seq === null ? id : formatTaskId(seq);
    const first = seen.get(task);
    if (first !== undefined) throw repeatedIds(first, id, task);
    seen.set(task, id);
  }
  return [...ids];
}

/** A cycle in a dependency graph given as adjacency lists, as the list of nodes on it; else null. */
export function findCycle(edges: number[][]): number[] | null {
  const state = new Uint8Array(edges.length); // 0 new, 1 on stack, 2 done
  const stack: number[] = [];
  const visit = (node: number): number[] | null => {
    state[node] = 1;
    stack.push(node);
    for (const next of edges[node] ?? []) {
      if (state[next] === 1) return [...stack.slice(stack.indexOf(next)), next];
      if (state[next] === 0) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state[node] = 2;
    return null;
  };
  for (let i = 0; i < edges.length; i++) {
    if (state[i] === 0) {
      const found = visit(i);
      if (found) return found;
    }
  }
  return null;
}
