/**
 * Orchestrator runs: the working ones live (workers, tasks, phase, elapsed, executions, tokens,
 * cost against budget, breaker state and why), the finished ones with their stop reasons.
 */
import type { TaskCard } from "../../src/dashboard/types.js";
import type { Run } from "../../src/domain/run.js";
import { ago, duration, usd } from "./format.js";

interface RunsProps {
  runs: Run[];
  /** Tasks in progress on the board: a parallel run's workers all hold theirs under its worker id. */
  held: TaskCard[];
  now: number;
  onCancel: (id: string) => void;
}

function budgetOf(run: Run): number | null {
  const limits = run.settings.limits as { maxCostUsd?: number | null } | undefined;
  return typeof limits?.maxCostUsd === "number" ? limits.maxCostUsd : null;
}

/**
 * Each worker of a run: the run record's `workers` when it has them; else its `current` (the
 * first busy worker, with its phase) and the other tasks it holds on the board (parallel runs).
 */
function workersOf(
  run: Run,
  held: TaskCard[],
): Array<{ id: string; task_id: string | null; phase: string; since: string; attempt: number | null }> {
  const many = (run as Run & { workers?: unknown }).workers;
  if (Array.isArray(many)) {
    return many.map((w, i) => {
      const x = w as Record<string, unknown>;
      return {
        id: String(x.id ?? x.worker_id ?? `worker ${i + 1}`),
        task_id: (x.task_id as string | null) ?? null,
        phase: String(x.phase ?? "idle"),
        since: String(x.since ?? run.updated_at),
        attempt: (x.attempt as number | null) ?? null,
      };
    });
  }
  const first = run.current ? [{ id: run.worker_id, ...run.current }] : [];
  const others = held
    .filter((c) => c.claimed_by === run.worker_id && c.id !== run.current?.task_id)
    .map((c) => ({
      id: run.worker_id,
      task_id: c.id,
      phase: "working",
      since: c.updated_at,
      attempt: c.attempts,
    }));
  return [...first, ...others];
}

function breaker(run: Run): { state: string; why: string } {
  if (run.status === "running") {
    if (run.current?.phase === "cooldown") return { state: "open", why: "cooling down after failures" };
    return { state: "closed", why: "working normally" };
  }
  if (run.status === "stopped") return { state: "tripped", why: run.stop_reason ?? "" };
  return { state: "—", why: "" };
}

function outputTail(run: Run): string | null {
  const tail =
    (run as Run & { output_tail?: unknown; output?: unknown }).output_tail ??
    (run as { output?: unknown }).output;
  if (typeof tail === "string") return tail;
  if (Array.isArray(tail)) return tail.map(String).join("\n");
  return null;
}

function ActiveRun({
  run,
  held,
  now,
  onCancel,
}: {
  run: Run;
  held: TaskCard[];
  now: number;
  onCancel: (id: string) => void;
}) {
  const workers = workersOf(run, held);
  const budget = budgetOf(run);
  const spent = run.stats.cost_usd;
  const share = budget ? Math.min(1, spent / budget) : 0;
  const elapsed = (now - Date.parse(run.started_at)) / 1000;
  const b = breaker(run);
  const tail = outputTail(run);
  return (
    <article class="run run-active" data-run={run.id}>
      <header class="run-head">
        <span class="run-id">{run.id}</span>
        <span class="badge badge-running">running</span>
        {run.cancel_requested && <span class="badge badge-warn">stop requested</span>}
        <span class="run-settings">
          {String(run.settings.executor ?? "?")} → {String(run.settings.verifier ?? "?")}
          {Number(run.settings.parallel) > 1 ? ` · ${Number(run.settings.parallel)} workers` : ""}
        </span>
        <button
          type="button"
          class="small danger-quiet"
          data-action="cancel-run"
          onClick={() => onCancel(run.id)}
        >
          Cancel run
        </button>
      </header>
      <ul class="workers">
        {workers.map((w) => (
          <li class="worker" key={`${w.id}-${w.task_id}`}>
            <span class={`phase phase-${w.phase}`}>{w.phase}</span>
            <span class="worker-task">{w.task_id ?? "—"}</span>
            {w.attempt !== null && <span class="muted">attempt {w.attempt}</span>}
            <span class="muted">for {duration((now - Date.parse(w.since)) / 1000)}</span>
            <span class="muted worker-id">{w.id}</span>
          </li>
        ))}
        {workers.length === 0 && <li class="worker muted">between tasks</li>}
      </ul>
      <dl class="run-stats">
        <div>
          <dt>elapsed</dt>
          <dd>{duration(elapsed)}</dd>
        </div>
        <div>
          <dt>executions</dt>
          <dd>{run.stats.executions}</dd>
        </div>
        <div>
          <dt>done / failed / retried</dt>
          <dd>
            {run.stats.completed} / {run.stats.failed} / {run.stats.retried}
          </dd>
        </div>
        <div>
          <dt>tokens in / out</dt>
          <dd>
            {run.stats.tokens.input.toLocaleString()} / {run.stats.tokens.output.toLocaleString()}
          </dd>
        </div>
        <div>
          <dt>breaker</dt>
          <dd class={`breaker breaker-${b.state}`} title={b.why}>
            {b.state} <span class="muted">{b.why}</span>
          </dd>
        </div>
      </dl>
      <div class="budget" title={budget ? `${usd(spent)} of ${usd(budget)}` : "no budget"}>
        <span class="budget-label">
          cost {usd(spent)}
          {budget ? ` of ${usd(budget)}` : " (no budget)"}
        </span>
        <span class="budget-bar">
          <span class={`budget-fill${share > 0.8 ? " hot" : ""}`} style={{ width: `${share * 100}%` }} />
        </span>
      </div>
      {tail && <pre class="tail">{tail}</pre>}
    </article>
  );
}

export function Runs({ runs, held, now, onCancel }: RunsProps) {
  const active = runs.filter((r) => r.status === "running");
  const finished = runs.filter((r) => r.status !== "running");
  if (runs.length === 0) {
    return (
      <section class="panel runs">
        <h2>Runs</h2>
        <p class="muted">
          No runs yet. Start one with <code>ralph-mcp run</code> or the <code>run_orchestrator</code> tool.
        </p>
      </section>
    );
  }
  return (
    <section class="panel runs">
      <h2>
        Runs <span class="count">{active.length} working</span>
      </h2>
      {active.map((run) => (
        <ActiveRun run={run} held={held} now={now} onCancel={onCancel} key={run.id} />
      ))}
      {finished.length > 0 && (
        <table class="finished">
          <thead>
            <tr>
              <th>run</th>
              <th>status</th>
              <th>stop reason</th>
              <th>done</th>
              <th>failed</th>
              <th>cost</th>
              <th>ended</th>
            </tr>
          </thead>
          <tbody>
            {finished.map((run) => (
              <tr key={run.id} data-run={run.id}>
                <td class="run-id">{run.id}</td>
                <td>
                  <span class={`badge badge-${run.status}`}>{run.status}</span>
                </td>
                <td class="reason">{run.stop_reason ?? "—"}</td>
                <td>{run.stats.completed}</td>
                <td>{run.stats.failed}</td>
                <td>{usd(run.stats.cost_usd)}</td>
                <td class="muted">{ago(run.finished_at, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
