/**
 * How tasks, stats and runs read on a terminal. Plain text (colour only through `paint`, which is
 * a no-op off a terminal and with NO_COLOR); `--json` prints the records themselves instead.
 */

import type { Style } from "../colour.js";
import type { Run } from "../domain/run.js";
import type { Task, TaskStats, TaskStatus } from "../domain/task.js";
import { formatDuration, reportsTokens, runCounts, usd } from "../orchestrator/format.js";
import { paint } from "./context.js";

/** A pending task's dependencies that are not completed, when it has any: it is blocked. */
export type Blockers = ReadonlyMap<string, readonly string[]>;

const STATUS_STYLE: Record<TaskStatus | "blocked", Style> = {
  pending: "cyan",
  in_progress: "yellow",
  completed: "green",
  failed: "red",
  blocked: "magenta",
};

export const statusLabel = (status: TaskStatus | "blocked") => status.replace("_", " ");

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The list's rows: id, status (blocked shown as blocked), priority, attempts, description. */
export function taskTable(tasks: Task[], blockers: Blockers, width: number): string[] {
  const head = ["ID", "STATUS", "PRI", "TRIES", "DESCRIPTION"];
  const rows = tasks.map((t) => {
    const waits = blockers.get(t.id);
    const status: TaskStatus | "blocked" = waits && waits.length > 0 ? "blocked" : t.status;
    const note = waits && waits.length > 0 ? ` (waits for ${waits.join(", ")})` : "";
    return {
      t,
      status,
      cells: [t.id, statusLabel(status), `p${t.priority}`, `${t.attempts}/${t.max_attempts}`],
      note,
    };
  });
  const widths = head
    .slice(0, 4)
    .map((h, i) => Math.max(h.length, ...rows.map((r) => (r.cells[i] ?? "").length)));
  const pad = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  const used = widths.reduce((a, b) => a + b + 2, 0);
  const room = Math.max(20, width - used);
  const lines = [paint("dim", `${pad(head.slice(0, 4))}  ${head[4]}`)];
  for (const r of rows) {
    const [id = "", status = "", ...rest] = r.cells;
    const cells = `${paint("bold", id.padEnd(widths[0] ?? 0))}  ${paint(STATUS_STYLE[r.status], status.padEnd(widths[1] ?? 0))}  ${rest.map((c, i) => c.padEnd(widths[i + 2] ?? 0)).join("  ")}`;
    const description = oneLine(r.t.description, Math.max(10, room - r.note.length));
    lines.push(`${cells}  ${description}${paint("dim", r.note)}`);
  }
  return lines;
}

const when = (iso: string | null) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "—");

/** One task in full, for people. */
export function taskDetail(task: Task, waitsFor: readonly string[]): string[] {
  const status = waitsFor.length > 0 ? "blocked" : task.status;
  const lines = [
    `${paint("bold", task.id)}  ${paint(STATUS_STYLE[status], statusLabel(status))} · priority ${task.priority} · attempt ${task.attempts} of ${task.max_attempts}`,
    "",
    task.description,
    "",
  ];
  const field = (name: string, value: string) => lines.push(`${paint("dim", `${name}:`.padEnd(13))}${value}`);
  if (task.criteria) field("Criteria", task.criteria);
  if (task.depends_on.length > 0)
    field(
      "Depends on",
      `${task.depends_on.join(", ")}${waitsFor.length > 0 ? ` (waiting for ${waitsFor.join(", ")})` : " (all completed)"}`,
    );
  if (task.tags.length > 0) field("Tags", task.tags.join(", "));
  if (task.idempotency_key) field("Key", task.idempotency_key);
  if (task.claimed_by) field("Claimed by", `${task.claimed_by} until ${when(task.lease_expires_at)}`);
  if (task.result !== null) field("Result", task.result);
  if (task.failure_reason !== null) field("Failed", task.failure_reason);
  field("Created", when(task.created_at));
  if (task.started_at) field("Started", when(task.started_at));
  if (task.completed_at) field("Completed", when(task.completed_at));
  field("Updated", when(task.updated_at));
  if (task.feedback.length > 0) {
    lines.push("", paint("bold", `Feedback (${task.feedback.length}):`));
    task.feedback.forEach((f, i) => {
      lines.push(`  ${i + 1}. ${paint("dim", `${f.source}, attempt ${f.attempt}, ${when(f.at)}`)}`);
      for (const text of f.text.split("\n")) lines.push(`     ${text}`);
    });
  }
  return lines;
}

const percent = (rate: number) => `${(rate * 100).toFixed(1).replace(/\.0$/, "")}%`;

export function statsText(s: TaskStats): string[] {
  if (s.total === 0) return ['No tasks yet. Add one with: ralph-mcp add "…"'];
  const pending = `${s.pending} pending${s.blocked > 0 ? ` (${s.blocked} blocked)` : ""}`;
  return [
    `${s.total} task${s.total === 1 ? "" : "s"}: ${pending}, ${s.in_progress} in progress, ${s.completed} completed, ${s.failed} failed`,
    `Completion ${percent(s.completion_rate)} · failure ${percent(s.failure_rate)} · ${s.average_attempts} attempts per task on average`,
  ];
}

function runCost(run: Run): string | null {
  if (!reportsTokens(run)) return null;
  const t = run.stats.tokens;
  return `tokens ${t.input.toLocaleString("en-US")} in / ${t.output.toLocaleString("en-US")} out · cost ${usd(run.stats.cost_usd)}`;
}

const RUN_STYLE: Record<string, Style> = {
  running: "yellow",
  finished: "green",
  stopped: "magenta",
  cancelled: "dim",
  error: "red",
  abandoned: "red",
};

export function runTable(runs: Run[]): string[] {
  const lines = [
    paint("dim", `${"ID".padEnd(8)}  ${"STATUS".padEnd(9)}  ${"STARTED".padEnd(20)}  DONE  FAILED  WHY`),
  ];
  for (const r of runs) {
    lines.push(
      `${paint("bold", r.id.padEnd(8))}  ${paint(RUN_STYLE[r.status] ?? "dim", r.status.padEnd(9))}  ${when(r.started_at).padEnd(20)}  ${String(r.stats.completed).padStart(4)}  ${String(r.stats.failed).padStart(6)}  ${oneLine(r.stop_reason ?? (r.current?.task_id ? `working on ${r.current.task_id}` : ""), 60)}`,
    );
  }
  return lines;
}

export function runDetail(run: Run): string[] {
  const lines = [
    `${paint("bold", run.id)}  ${paint(RUN_STYLE[run.status] ?? "dim", run.status)}${run.cancel_requested && run.status === "running" ? " (cancel requested)" : ""}`,
  ];
  if (run.stop_reason) lines.push(`Stopped:  ${run.stop_reason}`);
  if (run.current) {
    lines.push(
      run.current.task_id
        ? `Now:      ${run.current.task_id} attempt ${run.current.attempt}: ${run.current.phase} since ${when(run.current.since)}`
        : `Now:      cooling down since ${when(run.current.since)}`,
    );
  }
  lines.push(`Tasks:    ${runCounts(run)}`);
  const cost = runCost(run);
  if (cost) lines.push(`Usage:    ${cost}`);
  lines.push(
    `Time:     ${formatDuration(Math.round(run.stats.elapsed_seconds * 1000))} (started ${when(run.started_at)}${run.finished_at ? `, ended ${when(run.finished_at)}` : ""})`,
  );
  const settings = Object.entries(run.settings)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k} ${typeof v === "string" ? v : JSON.stringify(v)}`);
  if (settings.length > 0) lines.push(`Settings: ${settings.join(" · ")}`);
  lines.push(`Worker:   ${run.worker_id} (max ${run.max_tasks} tasks)`);
  return lines;
}
