/**
 * Orchestrator settings from the environment (what Claude Desktop's config passes) and an optional
 * JSON file (RALPH_CONFIG or --config) for the rest. Precedence: explicit overrides (command-line
 * flags) > environment > file > defaults. Everything is validated with zod; an error names the
 * setting, where it came from, and what is allowed.
 *
 * Environment: RALPH_EXECUTOR, RALPH_EXECUTOR_COMMAND, RALPH_VERIFIER, RALPH_VERIFIER_COMMAND,
 * RALPH_MODEL, ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, RALPH_MAX_ACTIVE_RUNS, RALPH_PARALLEL,
 * RALPH_WORKTREES, RALPH_CONFIG.
 * File: any key of OrchestratorOptions (camelCase), `breaker` and `prices` partly, e.g.
 *   { "verifier": "command", "verifierCommand": "npm test", "breaker": { "maxCostUsd": 2 },
 *     "prices": { "claude-sonnet-5": { "input": 3, "output": 15 } } }
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { ValidationError } from "../domain/errors.js";
import { DEFAULT_OPTIONS, type OrchestratorOptions } from "./options.js";

/** A setting is missing or wrong. `setting` names it as the user wrote it (an env var or a file key). */
export class ConfigError extends ValidationError {
  readonly setting: string;
  constructor(setting: string, message: string) {
    super(message);
    this.setting = setting;
  }
}

/** Timers hold at most 2^31 - 1 ms (about 24.8 days). */
const MAX_MS = 2_147_483_647;
const ms = (name: string, min = 0) =>
  z
    .int({ error: `${name} must be a whole number of milliseconds` })
    .min(min, { error: `${name} must be at least ${min}` })
    .max(MAX_MS, { error: `${name} must be at most ${MAX_MS} (about 24 days)` });
const positive = (name: string) =>
  z.int({ error: `${name} must be a whole number` }).min(1, { error: `${name} must be at least 1` });
const command = z
  .string({ error: "must be a shell command (a string)" })
  .transform((s) => (s.trim() === "" ? null : s))
  .nullable();

const priceSchema = z.strictObject({
  input: z.number({ error: "input must be USD per million input tokens" }).min(0),
  output: z.number({ error: "output must be USD per million output tokens" }).min(0),
});

export const breakerSchema = z
  .strictObject({
    maxIterations: positive("maxIterations"),
    maxConsecutiveFailures: positive("maxConsecutiveFailures"),
    maxWallClockMs: ms("maxWallClockMs", 1),
    maxCostUsd: z
      .number({ error: "maxCostUsd must be a number of USD, or null for no budget" })
      .min(0)
      .nullable(),
    repeatThreshold: z.int().min(2, { error: "repeatThreshold must be at least 2" }),
    repeatWindow: z.int().min(2, { error: "repeatWindow must be at least 2" }),
    maxTaskAttempts: positive("maxTaskAttempts"),
    cooldownMs: ms("cooldownMs"),
    maxTrips: positive("maxTrips"),
  })
  .partial();

/** The config file: every setting optional. */
export const configFileSchema = z
  .strictObject({
    executor: z.enum(["anthropic", "command", "sampling"]),
    executorCommand: command,
    verifier: z.enum(["anthropic", "command", "none"]),
    verifierCommand: command,
    model: z.string().min(1),
    verifierModel: z.string().min(1).nullable(),
    apiKey: z.string().min(1).nullable(),
    baseURL: z.url().nullable(),
    maxTokens: positive("maxTokens"),
    apiMaxRetries: z.int().min(0).max(10),
    apiTimeoutMs: ms("apiTimeoutMs", 1),
    systemPrompt: z.string().nullable(),
    minConfidence: z.number().min(0).max(1),
    commandTimeoutMs: ms("commandTimeoutMs", 1),
    verifierTimeoutMs: ms("verifierTimeoutMs", 1),
    maxOutputChars: positive("maxOutputChars").max(DEFAULT_OPTIONS.maxOutputChars, {
      error: `maxOutputChars must be at most ${DEFAULT_OPTIONS.maxOutputChars} (a task's result limit)`,
    }),
    killGraceMs: ms("killGraceMs"),
    maxTasks: positive("maxTasks"),
    retryDelayMs: ms("retryDelayMs"),
    retryDelayMaxMs: ms("retryDelayMaxMs"),
    parallel: positive("parallel").max(64, { error: "parallel must be at most 64" }),
    worktrees: z.boolean({ error: "worktrees must be true or false" }),
    repo: z.string().min(1).nullable(),
    branch: z.string().min(1).nullable(),
    verifyAfterMerge: z.boolean({ error: "verifyAfterMerge must be true or false" }),
    maxActiveRuns: positive("maxActiveRuns"),
    leaseMs: ms("leaseMs", 1000),
    heartbeatMs: ms("heartbeatMs", 10),
    staleRunMs: ms("staleRunMs", 1),
    breaker: breakerSchema,
    prices: z.record(z.string(), priceSchema),
  })
  .partial();

export type ConfigFile = z.infer<typeof configFileSchema>;

/** Overrides from command-line flags: the same shape as the file. */
export type ConfigOverrides = ConfigFile;

function describeIssues(where: string, error: z.ZodError): ConfigError {
  const issue = error.issues[0];
  const path = issue?.path.join(".") ?? "";
  const setting = path === "" ? where : path;
  let message = issue?.message ?? "is not valid";
  if (issue?.code === "unrecognized_keys") {
    const keys = issue.keys.join(", ");
    const inside = path === "" ? "" : ` in ${path}`;
    message = `unknown setting ${keys}${inside}; known settings: ${Object.keys(
      path === "breaker" ? breakerSchema.shape : path === "" ? configFileSchema.shape : {},
    ).join(", ")}`;
    return new ConfigError(keys, `${where}: ${message}.`);
  }
  return new ConfigError(setting, `${where}: ${path === "" ? "" : `${path}: `}${message}.`);
}

export function readConfigFile(path: string): ConfigFile {
  const full = resolve(path);
  let text: string;
  try {
    text = readFileSync(full, "utf8");
  } catch (error) {
    throw new ConfigError(
      "RALPH_CONFIG",
      `Cannot read the config file ${full}: ${(error as Error).message}. Fix RALPH_CONFIG (or --config).`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      "RALPH_CONFIG",
      `The config file ${full} is not valid JSON: ${(error as Error).message}.`,
    );
  }
  const parsed = configFileSchema.safeParse(json);
  if (!parsed.success) throw describeIssues(`Config file ${full}`, parsed.error);
  return parsed.data;
}

export const ENV_SETTINGS = {
  RALPH_EXECUTOR: "executor",
  RALPH_EXECUTOR_COMMAND: "executorCommand",
  RALPH_VERIFIER: "verifier",
  RALPH_VERIFIER_COMMAND: "verifierCommand",
  RALPH_MODEL: "model",
  ANTHROPIC_API_KEY: "apiKey",
  ANTHROPIC_BASE_URL: "baseURL",
  RALPH_MAX_ACTIVE_RUNS: "maxActiveRuns",
  RALPH_PARALLEL: "parallel",
  RALPH_WORKTREES: "worktrees",
} as const;

/** Settings whose environment variable holds a whole number. */
const NUMERIC_ENV = new Set<string>(["maxActiveRuns", "parallel"]);
/** Settings whose environment variable is a switch: 1/true/yes or 0/false/no. */
const SWITCH_ENV = new Set<string>(["worktrees"]);

const ENV_HINT: Record<string, string> = {
  RALPH_EXECUTOR: "anthropic, command or sampling",
  RALPH_VERIFIER: "anthropic, command or none",
  ANTHROPIC_BASE_URL: "a URL such as https://api.anthropic.com",
  RALPH_MAX_ACTIVE_RUNS: "a whole number ≥ 1",
  RALPH_PARALLEL: "a whole number from 1 to 64",
  RALPH_WORKTREES: "1 or 0 (true or false)",
};

function fromEnv(env: NodeJS.ProcessEnv): ConfigFile {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_SETTINGS)) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") continue;
    const value = SWITCH_ENV.has(key)
      ? /^\s*(1|true|yes)\s*$/i.test(raw)
        ? true
        : /^\s*(0|false|no)\s*$/i.test(raw)
          ? false
          : raw
      : NUMERIC_ENV.has(key)
        ? /^\s*\d+\s*$/.test(raw)
          ? Number(raw)
          : raw
        : key.endsWith("Command") || key === "apiKey"
          ? raw
          : raw.trim();
    const field = configFileSchema.shape[key];
    const parsed = field.safeParse(value);
    if (!parsed.success) {
      const hint = ENV_HINT[name];
      throw new ConfigError(name, `${name} must be ${hint ?? "valid"} (got "${raw.slice(0, 80)}").`);
    }
    out[key] = parsed.data;
  }
  return out as ConfigFile;
}

export interface LoadConfigInput {
  /** Default process.env. */
  env?: NodeJS.ProcessEnv | undefined;
  /** A config file path; default RALPH_CONFIG from env. */
  configPath?: string | undefined;
  /** Highest precedence: command-line flags. */
  overrides?: ConfigOverrides | undefined;
}

/** The options the environment, the config file and the overrides describe, checked as a whole. */
export function loadOrchestratorOptions(input: LoadConfigInput = {}): OrchestratorOptions {
  const env = input.env ?? process.env;
  const path = input.configPath ?? (env.RALPH_CONFIG?.trim() || undefined);
  const file = path === undefined ? {} : readConfigFile(path);
  const fromEnvironment = fromEnv(env);
  let overrides: ConfigFile = {};
  if (input.overrides) {
    const parsed = configFileSchema.safeParse(
      Object.fromEntries(Object.entries(input.overrides).filter(([, v]) => v !== undefined)),
    );
    if (!parsed.success) throw describeIssues("Command line", parsed.error);
    overrides = parsed.data;
  }
  const layers = [file, fromEnvironment, overrides];
  const merged: OrchestratorOptions = { ...DEFAULT_OPTIONS };
  for (const layer of layers) {
    const { breaker, prices, ...rest } = layer;
    Object.assign(merged, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
    if (breaker) merged.breaker = { ...merged.breaker, ...breaker };
    if (prices) merged.prices = { ...merged.prices, ...prices };
  }
  const chosen = (key: "executor" | "verifier") => layers.some((l) => l[key] !== undefined);
  if (!chosen("executor") && merged.executorCommand) merged.executor = "command";
  if (!chosen("verifier") && merged.verifierCommand) merged.verifier = "command";
  check(merged);
  return merged;
}

/** Rules across settings; also used by the builder for options made in code. */
export function check(options: OrchestratorOptions): void {
  if (options.executor === "command" && !options.executorCommand) {
    throw new ConfigError(
      "RALPH_EXECUTOR_COMMAND",
      'RALPH_EXECUTOR=command needs RALPH_EXECUTOR_COMMAND: the agent command to run, e.g. "claude -p" (the prompt comes on stdin).',
    );
  }
  if (options.verifier === "command" && !options.verifierCommand) {
    throw new ConfigError(
      "RALPH_VERIFIER_COMMAND",
      'RALPH_VERIFIER=command needs RALPH_VERIFIER_COMMAND: the check to run, e.g. "npm test" (exit 0 passes).',
    );
  }
  checkLoopTimings(options);
  const b = options.breaker;
  if (b.repeatThreshold > b.repeatWindow) {
    throw new ConfigError(
      "breaker.repeatThreshold",
      `breaker.repeatThreshold (${b.repeatThreshold}) must not exceed breaker.repeatWindow (${b.repeatWindow}).`,
    );
  }
}

/** How many heartbeats a run may miss before it counts as stale, or before its lease may run out. */
export const MISSED_HEARTBEATS = 3;

/**
 * The run's timings must leave room for a few missed heartbeats (a busy machine, a slow store):
 * another process marks a run abandoned once its heartbeat is older than staleRunMs, and a run that
 * cannot keep up with its heartbeat cannot be trusted to keep renewing its lease either.
 */
export function checkLoopTimings(
  options: Pick<OrchestratorOptions, "heartbeatMs" | "staleRunMs" | "leaseMs">,
): void {
  const { heartbeatMs, staleRunMs, leaseMs } = options;
  const least = MISSED_HEARTBEATS * heartbeatMs;
  if (staleRunMs < least) {
    throw new ConfigError(
      "staleRunMs",
      `staleRunMs (${staleRunMs}) must be at least ${MISSED_HEARTBEATS} × heartbeatMs (${least}): a run that is working but slow would be marked abandoned by other processes.`,
    );
  }
  if (leaseMs < least) {
    throw new ConfigError(
      "leaseMs",
      `leaseMs (${leaseMs}) must be at least ${MISSED_HEARTBEATS} × heartbeatMs (${least}): a task's lease must outlast a few heartbeats of the run that holds it.`,
    );
  }
}
