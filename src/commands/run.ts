/**
 * `ralph-mcp run`: work through the queue from a terminal. A live progress line when stdout is a
 * terminal, plain lines when it is not, a summary at the end, and an exit code that says why it
 * stopped (RUN_EXIT_CODES). Ctrl-C cancels: the current execution is killed and its task put back.
 */
import type { Command } from "commander";
import { ValidationError } from "../domain/errors.js";
import type { Run, StopCode } from "../domain/run.js";
import { type Orchestrator, OrchestratorBuilder } from "../orchestrator/builder.js";

import { ConfigError, type ConfigOverrides, loadOrchestratorOptions } from "../orchestrator/config.js";
import { progressLine, runLiveLine, runSummaryLines } from "../orchestrator/format.js";
import type { RunProgress } from "../orchestrator/types.js";
import { withStore } from "./context.js";

/** Why `ralph-mcp run` exited. */
export const RUN_EXIT_CODES = {
  /** The queue had nothing ready, or max-tasks was reached, and no task failed for good. */
  done: 0,
  /** The run itself failed (e.g. the store became unreachable). */
  error: 1,
  /** As 0, but at least one task failed for good in this run. */
  tasksFailed: 2,
  /** The circuit breaker stopped it: the work kept failing (in a row, the same way, one task too often). */
  breaker: 3,
  /** A limit or budget was reached: max iterations, wall-clock time, cost. */
  limit: 4,
  /** A setting is wrong (the message names it). */
  config: 78,
  /** Cancelled (Ctrl-C, SIGTERM, or a cancel request from another process). */
  cancelled: 130,
} as const;

export function exitCodeFor(run: Run): number {
  const code = run.stop_code as StopCode | null;
  switch (code) {
    case "queue_empty":
    case "max_tasks":
      return run.stats.failed > 0 ? RUN_EXIT_CODES.tasksFailed : RUN_EXIT_CODES.done;
    case "consecutive_failures":
    case "repeated_output":
    case "repeated_error":
    case "task_attempts":
      return RUN_EXIT_CODES.breaker;
    case "max_iterations":
    case "wall_clock":
    case "cost_budget":
      return RUN_EXIT_CODES.limit;
    case "cancelled":
      return RUN_EXIT_CODES.cancelled;
    case "setting_error":
      return RUN_EXIT_CODES.config;
    default:
      return RUN_EXIT_CODES.error;
  }
}

const EXIT_HELP = `
Exit codes:
  0    done: nothing ready is left in the queue, or --max-tasks was reached
  2    done, but at least one task failed for good in this run
  3    the circuit breaker stopped the run: attempts kept failing (in a row, the same way, or one task too often)
  4    a limit was reached: max iterations, wall-clock time or the cost budget
  1    the run failed (e.g. the store became unreachable)
  78   a setting is wrong (the message names it): also an agent command that cannot start,
       and with --worktrees a target branch checked out with uncommitted changes
  130  cancelled (Ctrl-C, SIGTERM, or a cancel request)

Settings: RALPH_EXECUTOR (anthropic|command), RALPH_EXECUTOR_COMMAND, RALPH_VERIFIER
(anthropic|command|none), RALPH_VERIFIER_COMMAND, RALPH_MODEL, ANTHROPIC_API_KEY,
ANTHROPIC_BASE_URL, and a JSON file (RALPH_CONFIG or --config) for limits, prices and timeouts.`;

/** A flag's number, in its range: a value outside it is a mistake in the command line (exit 64). */
function number(name: string, integer: boolean, min = 0, max = Number.POSITIVE_INFINITY) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      const range = max === Number.POSITIVE_INFINITY ? `≥ ${min}` : `from ${min} to ${max}`;
      throw new ValidationError(
        `--${name} must be a ${integer ? "whole " : ""}number ${range} (got "${value}").`,
      );
    }
    return n;
  };
}

/** Events worth a line of their own; the rest only move the live line. */
const LOGGED = new Set([
  "started",
  "claimed",
  "completed",
  "retried",
  "failed",
  "released",
  "lost",
  "cooldown",
  "merging",
  "backoff",
]);

class ProgressView {
  private live = false;
  /** The run as last reported, and when: the live line's clock ticks every second between events. */
  private last: { run: RunProgress["run"]; workers: RunProgress["workers"]; at: number } | null = null;
  private ticker: NodeJS.Timeout | null = null;
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly quiet: boolean,
  ) {}

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  private clear(): void {
    if (this.live) this.stream.write("\r\x1b[2K");
    this.live = false;
  }

  line(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
  }

  update(event: RunProgress): void {
    if (this.quiet) return;
    const parallel = Number(event.run.settings.parallel ?? 1);
    if (LOGGED.has(event.kind)) this.line(progressLine(event, parallel));
    if (!this.tty || event.kind === "stopped") return;
    this.last = { run: event.run, workers: event.workers, at: Date.now() };
    this.ticker ??= setInterval(() => this.render(), 1000).unref();
    this.render();
  }

  /** The live line, its elapsed time moved on by the time since the last event. */
  private render(): void {
    if (!this.last) return;
    const { run, workers, at } = this.last;
    const seconds = run.stats.elapsed_seconds + (Date.now() - at) / 1000;
    const text = runLiveLine({ ...run, stats: { ...run.stats, elapsed_seconds: seconds } }, workers);
    const width = this.stream.columns ?? 100;
    this.stream.write(`\r\x1b[2K${text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text}`);
    this.live = true;
  }

  end(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.last = null;
    this.clear();
  }
}

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("Work through the queue: execute each task, verify it, retry with feedback, stop safely")
    .option("-n, --max-tasks <n>", "most tasks to take on (default 10)", number("max-tasks", true, 1))
    .option(
      "-p, --parallel <n>",
      "tasks worked at once, one agent each (default 1: RALPH_PARALLEL)",
      number("parallel", true, 1, 64),
    )
    .option(
      "--worktrees",
      "each attempt in a git worktree of its own, merged back one at a time (RALPH_WORKTREES=1)",
    )
    .option("--repo <dir>", "the git repository of the worktrees (default: the working directory's)")
    .option("--branch <name>", "the branch work is merged into (default: the repository's current branch)")
    .option(
      "--verify-after-merge",
      "with --worktrees: run the check again on the merged result before keeping it",
    )
    .option("--config <file>", "JSON settings file (default: RALPH_CONFIG)")
    .option("--executor <kind>", "anthropic or command (default: RALPH_EXECUTOR)")
    .option("--verifier <kind>", "anthropic, command or none (default: RALPH_VERIFIER)")
    .option("--model <model>", "model of the anthropic executor and judge (default: RALPH_MODEL)")
    .option("--max-cost <usd>", "cost budget of this run in USD", number("max-cost", false))
    .option("--json", "print the final run record as JSON instead of the summary")
    .option("-q, --quiet", "no progress, only the summary")
    .addHelpText("after", EXIT_HELP)
    .action(async (opts) => {
      const overrides: ConfigOverrides = {
        executor: opts.executor,
        verifier: opts.verifier,
        model: opts.model,
        maxTasks: opts.maxTasks,
        parallel: opts.parallel,
        worktrees: opts.worktrees,
        repo: opts.repo,
        branch: opts.branch,
        verifyAfterMerge: opts.verifyAfterMerge,
        ...(opts.maxCost !== undefined ? { breaker: { maxCostUsd: opts.maxCost } } : {}),
      };
      let options: ReturnType<typeof loadOrchestratorOptions>;
      try {
        options = loadOrchestratorOptions({ configPath: opts.config, overrides });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        process.stderr.write(`ralph-mcp run: ${error.message}\n`);
        process.exitCode = RUN_EXIT_CODES.config;
        return;
      }
      await withStore(program, async (store) => {
        let builder: OrchestratorBuilder;
        try {
          builder = OrchestratorBuilder.fromOptions(store, options);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          process.stderr.write(`ralph-mcp run: ${error.message}\n`);
          process.exitCode = RUN_EXIT_CODES.config;
          return;
        }
        const view = new ProgressView(process.stdout, Boolean(opts.quiet || opts.json));
        let handle: Awaited<ReturnType<Orchestrator["start"]>>;
        try {
          handle = await builder.build().start({ onProgress: (e) => view.update(e) });
        } catch (error) {
          // With --worktrees the repository is checked first (a dirty worktree of the target branch).
          if (!(error instanceof ConfigError)) throw error;
          process.stderr.write(`ralph-mcp run: ${error.message}\n`);
          process.exitCode = RUN_EXIT_CODES.config;
          return;
        }
        let signals = 0;
        const onSignal = (signal: NodeJS.Signals) => {
          signals += 1;
          if (signals > 1) process.exit(RUN_EXIT_CODES.cancelled); // a second Ctrl-C: leave now
          view.line(`${signal}: cancelling ${handle.id} (again to quit at once)…`);
          handle.cancel(`Cancelled by ${signal}`);
        };
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
        try {
          const final = await handle.done;
          view.end();
          if (opts.json) process.stdout.write(`${JSON.stringify(final, null, 2)}\n`);
          else for (const text of runSummaryLines(final)) process.stdout.write(`${text}\n`);
          process.exitCode = exitCodeFor(final);
        } finally {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
        }
      });
    });
}
