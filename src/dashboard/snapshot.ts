/**
 * The board as data: counts, the first cards of each status, and the recent runs. Every read is
 * bounded (a page per status, a page of runs, the dependencies of the cards shown), so a store
 * of a million tasks costs what one of a hundred does.
 */
import { abandonRun, type Run } from "../domain/run.js";
import { TASK_STATUSES, type Task, type TaskStatus } from "../domain/task.js";
import { cut } from "../mcp/views.js";
import { DEFAULT_OPTIONS } from "../orchestrator/options.js";
import type { TaskStore } from "../store/types.js";
import type { Board, Column, TaskCard, TaskDetailView, TaskPageView } from "./types.js";

/** Cards per column on the board's first picture; "more" pages by the column's cursor. */
export const CARDS_PER_COLUMN = 30;
/** Runs shown: the running ones and the newest finished ones. */
export const RUNS_SHOWN = 12;
/** At most this many distinct dependencies are looked up to tell blocked cards from ready ones. */
const DEPENDENCY_LOOKUPS = 200;
const CARD_TEXT = 160;

export function toCard(task: Task, blockedBy: string[] = []): TaskCard {
  return {
    id: task.id,
    status: task.status,
    description: cut(task.description, CARD_TEXT) ?? "",
    priority: task.priority,
    attempts: task.attempts,
    max_attempts: task.max_attempts,
    tags: task.tags.slice(0, 5),
    depends_on: task.depends_on.slice(0, 10),
    blocked_by: blockedBy,
    claimed_by: task.claimed_by,
    lease_expires_at: task.lease_expires_at,
    failure_reason: cut(task.failure_reason, CARD_TEXT),
    result: cut(task.result, CARD_TEXT),
    updated_at: task.updated_at,
    not_before: task.not_before,
  };
}

/** The status of each of `ids` (missing ids are left out), looked up once each. */
async function statusesOf(store: TaskStore, ids: Iterable<string>): Promise<Map<string, Task>> {
  const found = new Map<string, Task>();
  const unique = [...new Set(ids)].slice(0, DEPENDENCY_LOOKUPS);
  await Promise.all(
    unique.map(async (id) => {
      try {
        found.set(id, await store.get(id));
      } catch {
        // a dependency that was deleted blocks nothing the board can show
      }
    }),
  );
  return found;
}

/** Cards for tasks, with pending ones marked blocked by their unfinished dependencies. */
export async function cardsFor(store: TaskStore, tasks: Task[]): Promise<TaskCard[]> {
  const waiting = tasks.filter((t) => t.status === "pending" && t.depends_on.length > 0);
  const deps = await statusesOf(
    store,
    waiting.flatMap((t) => t.depends_on),
  );
  return tasks.map((task) => {
    if (task.status !== "pending" || task.depends_on.length === 0) return toCard(task);
    const blockedBy = task.depends_on.filter((id) => {
      const dep = deps.get(id);
      return dep !== undefined && dep.status !== "completed";
    });
    return toCard(task, blockedBy);
  });
}

export async function taskPage(
  store: TaskStore,
  status: TaskStatus,
  cursor: string | undefined,
  limit = CARDS_PER_COLUMN,
): Promise<TaskPageView> {
  // Oldest first in every column. Not the store's "queue" order for pending: it sorts every pending
  // task on each call (116 ms with 66,000 pending), which the board pays at every change.
  const page = await store.list({ status, cursor, limit });
  return { cards: await cardsFor(store, page.tasks), total: page.total, nextCursor: page.nextCursor };
}

/**
 * The newest runs. A run still "running" whose heartbeat stopped longer than staleRunMs ago
 * belongs to a process that was killed: it is shown as abandoned (the run registry marks it so
 * when anyone follows it), not as working forever.
 */
export async function recentRuns(store: TaskStore, limit = RUNS_SHOWN, now = Date.now()): Promise<Run[]> {
  const runs = await store.runs.list({ limit });
  return runs.map((run) => {
    if (run.status !== "running" || now - Date.parse(run.updated_at) <= DEFAULT_OPTIONS.staleRunMs)
      return run;
    return abandonRun(run, Date.parse(run.updated_at)); // shown as it will be marked
  });
}

export async function boardSnapshot(store: TaskStore, cardsPerColumn = CARDS_PER_COLUMN): Promise<Board> {
  const [stats, runs, ...pages] = await Promise.all([
    store.stats(),
    recentRuns(store),
    ...TASK_STATUSES.map((status) => taskPage(store, status, undefined, cardsPerColumn)),
  ]);
  const columns: Column[] = TASK_STATUSES.map((status, i) => {
    const page = pages[i] as TaskPageView;
    return { status, total: page.total, cards: page.cards, nextCursor: page.nextCursor };
  });
  return { stats, columns, runs, at: new Date().toISOString() };
}

export async function taskDetail(store: TaskStore, id: string): Promise<TaskDetailView> {
  const task = await store.get(id);
  const deps = await statusesOf(store, task.depends_on);
  return {
    task,
    dependencies: task.depends_on.flatMap((dep) => {
      const t = deps.get(dep);
      return t ? [{ id: t.id, status: t.status, description: cut(t.description, CARD_TEXT) ?? "" }] : [];
    }),
  };
}
