/**
 * Every setting of the orchestrator in one typed object, with its default. config.ts fills it from
 * the environment and an optional JSON file; the builder and the run registry take it as is.
 */
import { LIMITS } from "../domain/task.js";

/** USD per million tokens. */
export interface Price {
  input: number;
  output: number;
}

/**
 * Model → price. A model matches the longest key it starts with ("claude-sonnet-4-5-20250929" uses
 * "claude-sonnet-4-5"); `default` prices a model no key matches.
 */
export type PriceTable = Record<string, Price>;

export interface BreakerLimits {
  /** Most executions in one run. Default 100. */
  maxIterations: number;
  /** Attempts in a row that did not pass before the breaker opens. Default 5. */
  maxConsecutiveFailures: number;
  /**
   * Longest a run may take, in ms. Checked before each execution, and an execution still going at
   * the limit is stopped and its task put back in line. Default 2 hours.
   */
  maxWallClockMs: number;
  /** Most a run may spend, in USD (tokens × `prices`); null for no budget. Default 5. */
  maxCostUsd: number | null;
  /** The breaker opens when one output or one error comes back this often (k) … Default 3. */
  repeatThreshold: number;
  /** … within the last this many executions (n). Default 5. */
  repeatWindow: number;
  /** Most executions of one task in one run without passing. Default 5. */
  maxTaskAttempts: number;
  /**
   * After the breaker opens for failures (not for a limit or a budget), how long it stays open
   * before one trial execution (half-open) is let through; 0 ends the run at the first opening.
   * Default 30 s.
   */
  cooldownMs: number;
  /** How often the breaker may open before the run stops; 1 ends it at the first. Default 2. */
  maxTrips: number;
}

export type ExecutorKind = "anthropic" | "command" | "sampling";
export type VerifierKind = "anthropic" | "command" | "none";

export interface OrchestratorOptions {
  /**
   * Who executes a task (RALPH_EXECUTOR): the Anthropic Messages API, a configured command, or the
   * connected MCP client's model. Default "command" when RALPH_EXECUTOR_COMMAND is set, else "anthropic".
   */
  executor: ExecutorKind;
  /**
   * The agent command (RALPH_EXECUTOR_COMMAND), run through the shell with the prompt on stdin and
   * RALPH_TASK_ID / RALPH_TASK_ATTEMPT / RALPH_RUN_ID in its environment; stdout is the result,
   * exit 0 is success. Only ever from configuration, never from a tool argument. Default none.
   */
  executorCommand: string | null;
  /** Who checks a result (RALPH_VERIFIER). Default "command" when RALPH_VERIFIER_COMMAND is set, else "none". */
  verifier: VerifierKind;
  /**
   * The check command (RALPH_VERIFIER_COMMAND): the result on stdin, the same variables; exit 0
   * passes and its output is the feedback. Only from configuration. Default none.
   */
  verifierCommand: string | null;
  /** The model of the anthropic executor and judge (RALPH_MODEL). Default "claude-sonnet-4-5". */
  model: string;
  /** The judge's model when it should differ from `model`. Default null (same model). */
  verifierModel: string | null;
  /** ANTHROPIC_API_KEY; null lets the SDK find credentials itself. Default null. */
  apiKey: string | null;
  /** ANTHROPIC_BASE_URL; null for the SDK's default (https://api.anthropic.com). */
  baseURL: string | null;
  /** max_tokens of an executor answer. Default 8192. */
  maxTokens: number;
  /** The SDK's own retries of 429, 5xx and connection errors, with back-off. Default 2. */
  apiMaxRetries: number;
  /** How long one API request may take, in ms. Default 10 minutes. */
  apiTimeoutMs: number;
  /** A system prompt for the anthropic and sampling executors. Default none. */
  systemPrompt: string | null;
  /** The judge's least confidence (0 … 1) for a pass; a pass below it counts as a fail. Default 0.7. */
  minConfidence: number;
  /** How long the executor command may run, in ms; then its whole process tree is killed. Default 30 minutes. */
  commandTimeoutMs: number;
  /** How long the verifier command may run, in ms. Default 10 minutes. */
  verifierTimeoutMs: number;
  /** Most characters of a command's output kept as the result (the rest is cut). Default 100,000. */
  maxOutputChars: number;
  /** After SIGTERM, how long a process tree gets before SIGKILL, in ms. Default 2000. */
  killGraceMs: number;
  /** Most distinct tasks one run takes on (`--max-tasks`, `max_tasks`). Default 10. */
  maxTasks: number;
  /**
   * Back-off: a task the loop sends back for retry is not eligible again for this long, doubling
   * with each attempt (2 s, 4 s, 8 s, …) up to `retryDelayMaxMs`; stored as the task's `not_before`.
   * 0 turns it off. Default 2000.
   */
  retryDelayMs: number;
  /** The longest back-off, in ms. Default 5 minutes. */
  retryDelayMaxMs: number;
  /**
   * How many tasks one run works at once (`--parallel`, RALPH_PARALLEL), each by its own agent
   * process, with one breaker and one budget for the run. Default 1.
   */
  parallel: number;
  /**
   * Each attempt in a git worktree of its own (`--worktrees`, RALPH_WORKTREES=1), on a branch made
   * from the target branch's head; passing work is merged back one at a time. Default false.
   */
  worktrees: boolean;
  /** The repository of the worktrees (`--repo`); null: the one of the working directory. */
  repo: string | null;
  /** The branch merged into (`--branch`); null: the repository's current branch. */
  branch: string | null;
  /** With worktrees: run the check again on the merged result before keeping it (`--verify-after-merge`). Default false. */
  verifyAfterMerge: boolean;
  /**
   * Most runs one server process works at once from run_orchestrator calls
   * (RALPH_MAX_ACTIVE_RUNS); a call beyond it is refused, naming the run that is working. Default 1.
   */
  maxActiveRuns: number;
  /** The lease a run holds on the task it executes, renewed every third of it. Default 5 minutes. */
  leaseMs: number;
  /**
   * How often a working run refreshes its record, reports progress ("working") and looks for a
   * cancel request from another process, in ms. Default 5 s.
   */
  heartbeatMs: number;
  /**
   * A running run whose heartbeat is older than this is marked abandoned, in ms; at least
   * 3 × heartbeatMs (so is leaseMs). Default 5 minutes.
   */
  staleRunMs: number;
  breaker: BreakerLimits;
  /** Prices per model; merged over the defaults. */
  prices: PriceTable;
}

/**
 * List prices, USD per million tokens (input/output), of the models we know; an unknown model is
 * priced at `default` (the dearest, so a budget errs on the safe side). Override in the config file.
 */
export const DEFAULT_PRICES: PriceTable = {
  "claude-opus-4": { input: 15, output: 75 },
  "claude-opus-4-5": { input: 5, output: 25 },
  "claude-sonnet-4": { input: 3, output: 15 },
  "claude-3-7-sonnet": { input: 3, output: 15 },
  "claude-haiku-4-5": { input: 1, output: 5 },
  "claude-3-5-haiku": { input: 0.8, output: 4 },
  default: { input: 15, output: 75 },
};

export const DEFAULT_BREAKER_LIMITS: BreakerLimits = {
  maxIterations: 100,
  maxConsecutiveFailures: 5,
  maxWallClockMs: 2 * 60 * 60 * 1000,
  maxCostUsd: 5,
  repeatThreshold: 3,
  repeatWindow: 5,
  maxTaskAttempts: 5,
  cooldownMs: 30_000,
  maxTrips: 2,
};

export const DEFAULT_OPTIONS: OrchestratorOptions = {
  executor: "anthropic",
  executorCommand: null,
  verifier: "none",
  verifierCommand: null,
  model: "claude-sonnet-4-5",
  verifierModel: null,
  apiKey: null,
  baseURL: null,
  maxTokens: 8192,
  apiMaxRetries: 2,
  apiTimeoutMs: 10 * 60 * 1000,
  systemPrompt: null,
  minConfidence: 0.7,
  commandTimeoutMs: 30 * 60 * 1000,
  verifierTimeoutMs: 10 * 60 * 1000,
  maxOutputChars: LIMITS.resultChars,
  killGraceMs: 2000,
  maxTasks: 10,
  parallel: 1,
  retryDelayMs: 2000,
  retryDelayMaxMs: 5 * 60 * 1000,
  worktrees: false,
  repo: null,
  branch: null,
  verifyAfterMerge: false,
  maxActiveRuns: 1,
  leaseMs: 5 * 60 * 1000,
  heartbeatMs: 5000,
  staleRunMs: 5 * 60 * 1000,
  breaker: DEFAULT_BREAKER_LIMITS,
  prices: DEFAULT_PRICES,
};

/** Per-run limits a caller (a tool argument) may set: they can only tighten the configured ones. */
export function tightenLimits(
  configured: BreakerLimits,
  requested: Partial<BreakerLimits> = {},
): BreakerLimits {
  const min = (a: number, b: number | undefined) => (b === undefined ? a : Math.min(a, b));
  return {
    maxIterations: min(configured.maxIterations, requested.maxIterations),
    maxConsecutiveFailures: min(configured.maxConsecutiveFailures, requested.maxConsecutiveFailures),
    maxWallClockMs: min(configured.maxWallClockMs, requested.maxWallClockMs),
    maxCostUsd:
      requested.maxCostUsd == null
        ? configured.maxCostUsd
        : configured.maxCostUsd === null
          ? requested.maxCostUsd
          : Math.min(configured.maxCostUsd, requested.maxCostUsd),
    repeatThreshold: min(configured.repeatThreshold, requested.repeatThreshold),
    repeatWindow: configured.repeatWindow,
    maxTaskAttempts: min(configured.maxTaskAttempts, requested.maxTaskAttempts),
    cooldownMs: configured.cooldownMs,
    maxTrips: min(configured.maxTrips, requested.maxTrips),
  };
}

/** The back-off after `attempt` (1-based) did not pass: `baseMs` doubling per attempt, at most `maxMs`. */
export function retryDelay(attempt: number, baseMs: number, maxMs: number): number {
  if (baseMs <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
}
