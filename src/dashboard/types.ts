/**
 * What the dashboard shows, as it travels to the page (JSON API, Server-Sent Events) and to the
 * MCP App (show_board's structuredContent). Pure types, shared by the server (src/dashboard) and
 * the front end (web/), so both sides are checked against one shape.
 */
import type { Run } from "../domain/run.js";
import type { Task, TaskStats, TaskStatus } from "../domain/task.js";

/** A task as a board card: bounded text, enough to pick it and act on it. */
export interface TaskCard {
  id: string;
  status: TaskStatus;
  description: string;
  priority: number;
  attempts: number;
  max_attempts: number;
  tags: string[];
  depends_on: string[];
  /** Dependencies not completed yet (only for pending tasks; empty when it is ready). */
  blocked_by: string[];
  claimed_by: string | null;
  lease_expires_at: string | null;
  failure_reason: string | null;
  result: string | null;
  updated_at: string;
  /** A retried task is not claimed again before this time (the loop's back-off). */
  not_before: string | null;
}

export interface Column {
  status: TaskStatus;
  /** How many tasks have this status in all. */
  total: number;
  cards: TaskCard[];
  /** Pass to /api/tasks?status=…&cursor=… for the next cards; null when all are shown. */
  nextCursor: string | null;
}

export interface Board {
  stats: TaskStats;
  columns: Column[];
  /** Newest first: the running ones and the most recent finished ones. */
  runs: Run[];
  /** When the server took this picture (ISO time). */
  at: string;
  /** Completed and failed counts at each change since this server began watching (oldest first). */
  history?: HistoryPoint[];
}

export interface HistoryPoint {
  at: string;
  completed: number;
  failed: number;
}

export interface TaskPageView {
  cards: TaskCard[];
  total: number;
  nextCursor: string | null;
}

/** One task in full, with the tasks it waits for and (from the loaded board) those waiting on it. */
export interface TaskDetailView {
  task: Task;
  /** The status of each dependency (missing ones are left out). */
  dependencies: Array<{ id: string; status: TaskStatus; description: string }>;
}

/** What the page may ask the server (or, in an MCP App, the host) to do. */
export type BoardAction =
  | { kind: "add"; description: string; priority?: number; criteria?: string }
  | { kind: "retry"; id: string; feedback: string }
  | { kind: "fail"; id: string; reason: string }
  | { kind: "delete"; id: string /** Also when it is in progress (its worker loses it). */; force?: boolean }
  | { kind: "cancel_run"; id: string };

export interface ActionResult {
  ok: boolean;
  message: string;
}
