/**
 * How a run reads for people, in one place: the CLI (`ralph-mcp run`, `runs`), the
 * run_orchestrator tool and the progress events all word a run the same way.
 */
import { isFinalRunStatus, type Run } from "../domain/run.js";
import type { WorkerState } from "./workers.js";

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
}

export const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;

/** Text on one line, cut to `max` characters. */
export function oneLine(text: string, max = 100): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/**
 * Whether a run's parts report tokens: the Anthropic API and MCP sampling do, agent and check
 * commands do not (their runs show no tokens or cost rather than a misleading zero).
 */
export function reportsTokens(run: Run): boolean {
  const { executor, verifier } = run.settings as { executor?: unknown; verifier?: unknown };
  const t = run.stats.tokens;
  return (
    executor === "anthropic" ||
    executor === "sampling" ||
    verifier === "anthropic" ||
    t.input + t.output > 0 ||
    run.stats.cost_usd > 0
  );
}

const cost = (run: Run) => (reportsTokens(run) ? `, ${usd(run.stats.cost_usd)}` : "");

const elapsed = (run: Run) => formatDuration(Math.round(run.stats.elapsed_seconds * 1000));

/** "processed 3, completed 2, …; 4 executions, 12 s, $0.0000". */
export function runCounts(run: Run): string {
  const s = run.stats;
  return (
    `processed ${s.processed}, completed ${s.completed}, failed ${s.failed}, retried ${s.retried}` +
    `${s.lost ? `, ${s.lost} decided elsewhere` : ""}; ` +
    `${s.executions} execution${s.executions === 1 ? "" : "s"}, ` +
    `${elapsed(run)}${cost(run)}`
  );
}

/** One sentence about a run, as it is now. */
export function describeRun(run: Run): string {
  if (isFinalRunStatus(run.status)) {
    return `${run.id} ${run.status}: ${run.stop_reason ?? "(no reason recorded)"} (${runCounts(run)})`;
  }
  const c = run.current;
  const doing = c
    ? c.task_id
      ? `${c.task_id} attempt ${c.attempt ?? "?"} ${c.phase}`
      : c.phase === "backoff"
        ? "waiting for a retried task's back-off"
        : "waiting out a breaker cooldown"
    : "between tasks";
  const asked = run.cancel_requested ? "; asked to stop" : "";
  return `${run.id} running (${doing}${asked}): ${runCounts(run)} so far`;
}

/** The summary `ralph-mcp run` prints at the end: three lines. */
export function runSummaryLines(run: Run): string[] {
  const s = run.stats;
  return [
    `${run.id} ${run.status}: ${run.stop_reason ?? ""}`,
    `  processed ${s.processed} · completed ${s.completed} · failed ${s.failed} · retried ${s.retried}${s.lost ? ` · decided elsewhere ${s.lost}` : ""} · executions ${s.executions}`,
    reportsTokens(run)
      ? `  tokens ${s.tokens.input.toLocaleString("en-US")} in / ${s.tokens.output.toLocaleString("en-US")} out · cost ${usd(s.cost_usd)} · ${elapsed(run)}`
      : `  took ${elapsed(run)}`,
  ];
}

/**
 * The live line of a terminal: counts so far and what the run is doing — with several workers,
 * each one's task and phase ("w1 task-003 executing · w2 task-004 verifying").
 */
export function runLiveLine(run: Run, workers: readonly WorkerState[] = []): string {
  const s = run.stats;
  const head = `[${run.id} ${elapsed(run)}] ${s.completed} done · ${s.retried} retried · ${s.failed} failed${reportsTokens(run) ? ` · ${usd(s.cost_usd)}` : ""}`;
  if (workers.length > 1) {
    return `${head} — ${workers.map((w) => `w${w.worker} ${w.task_id} ${w.phase}`).join(" · ")}`;
  }
  const c = run.current;
  const idle = c?.phase === "backoff" ? " — waiting for a retry's back-off" : " — cooling down";
  const doing = c?.task_id ? ` — ${c.task_id} attempt ${c.attempt}: ${c.phase}` : c ? idle : "";
  return `${head}${doing}`;
}

/** A progress event's line; with several workers it names the worker ("w2 task-004 attempt 1: …"). */
export function progressLine(event: { message: string; worker: number | null }, parallel: number): string {
  return parallel > 1 && event.worker !== null ? `w${event.worker} ${event.message}` : event.message;
}
