/**
 * Pictures: tasks completed and failed per run, and cost per run, oldest run on the left.
 * Plain SVG: no chart library, nothing fetched.
 */
import type { HistoryPoint } from "../../src/dashboard/types.js";
import type { Run } from "../../src/domain/run.js";
import { usd } from "./format.js";

const W = 280;
const H = 96;

function Bars({
  runs,
  value,
  label,
  format,
  cost = false,
}: {
  runs: Run[];
  value: (r: Run) => [number, number];
  label: string;
  format: (n: number) => string;
  /** One series in the accent colour (money), not completed/failed. */
  cost?: boolean;
}) {
  const max = Math.max(1e-9, ...runs.map((r) => value(r)[0] + value(r)[1]));
  const step = W / Math.max(runs.length, 1);
  const bar = Math.min(26, Math.max(4, step * 0.6));
  return (
    <figure class="chart">
      <figcaption>{label}</figcaption>
      <svg viewBox={`0 0 ${W} ${H + 14}`} role="img" aria-label={label}>
        <line x1="0" y1={H} x2={W} y2={H} class="axis" />
        {runs.map((r, i) => {
          const [a, b] = value(r);
          const ha = (a / max) * (H - 4);
          const hb = (b / max) * (H - 4);
          const x = i * step + (step - bar) / 2;
          return (
            <g key={r.id}>
              <title>{`${r.id}: ${format(a)}${b ? ` + ${format(b)}` : ""}`}</title>
              <rect x={x} y={H - ha} width={bar} height={ha} class={cost ? "bar-cost" : "bar-a"} rx="1.5" />
              <rect x={x} y={H - ha - hb} width={bar} height={hb} class="bar-b" rx="1.5" />
              <text x={x + bar / 2} y={H + 11} class="tick">
                {r.id.replace("run-", "")}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

/** Completed and failed counts over time, as two lines (since the server began watching). */
function History({ points }: { points: HistoryPoint[] }) {
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last || points.length < 2) return null;
  const t0 = Date.parse(first.at);
  const span = Math.max(1, Date.parse(last.at) - t0);
  const max = Math.max(1, ...points.map((p) => Math.max(p.completed, p.failed)));
  const line = (value: (p: HistoryPoint) => number) =>
    points
      .map(
        (p) =>
          `${(((Date.parse(p.at) - t0) / span) * W).toFixed(1)},${(H - (value(p) / max) * (H - 4)).toFixed(1)}`,
      )
      .join(" ");
  return (
    <figure class="chart chart-history">
      <figcaption>
        Completed and failed over time (since {new Date(first.at).toLocaleTimeString()}): {last.completed} /{" "}
        {last.failed}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H + 14}`} role="img" aria-label="Completed and failed over time">
        <line x1="0" y1={H} x2={W} y2={H} class="axis" />
        <polyline points={line((p) => p.completed)} class="line-a" />
        <polyline points={line((p) => p.failed)} class="line-b" />
      </svg>
    </figure>
  );
}

export function Charts({ runs, history = [] }: { runs: Run[]; history?: HistoryPoint[] }) {
  // Finished runs only: a working run's figures are still moving (the runs panel shows them).
  const ordered = runs.filter((r) => r.status !== "running").reverse();
  if (ordered.length === 0 && history.length < 2) return null;
  return (
    <section class="panel charts">
      <h2>Over time</h2>
      <History points={history} />
      {ordered.length > 0 && (
        <div class="chart-row">
          <Bars
            runs={ordered}
            label="Tasks per run: completed, failed"
            value={(r) => [r.stats.completed, r.stats.failed]}
            format={(n) => String(n)}
          />
          <Bars
            runs={ordered}
            label="Cost per run (USD)"
            value={(r) => [r.stats.cost_usd, 0]}
            format={usd}
            cost
          />
        </div>
      )}
      <p class="legend">
        <span class="key key-a" /> completed <span class="key key-b" /> failed
      </p>
    </section>
  );
}
