/**
 * The command executor: any agent CLI (`claude -p`, `codex exec`, a script) from
 * RALPH_EXECUTOR_COMMAND. The prompt goes to stdin; RALPH_TASK_ID, RALPH_TASK_ATTEMPT and
 * RALPH_RUN_ID are in its environment; stdout is the result and exit 0 is success. It reports no
 * tokens (its cost is not counted against the budget).
 */
import { type CommandOutcome, runCommand } from "../process.js";
import { firstChars, lastChars, utf8BytesFor } from "../text-cut.js";
import type { ExecutionRequest, ExecutionResult, Executor } from "../types.js";

export interface CommandExecutorOptions {
  /** The shell command line (from configuration only). */
  command: string;
  timeoutMs: number;
  /** The result is cut at this many characters. */
  maxOutputChars: number;
  killGraceMs: number;
  cwd?: string | undefined;
}

/** The variables a command gets: the task, the attempt, the run, and its workspace when it has one. */
export function taskEnv(request: {
  task: { id: string };
  attempt: number;
  runId: string;
  workspace?: string | undefined;
  merged?: boolean | undefined;
}): Record<string, string> {
  return {
    RALPH_TASK_ID: request.task.id,
    RALPH_TASK_ATTEMPT: String(request.attempt),
    RALPH_RUN_ID: request.runId,
    ...(request.workspace !== undefined ? { RALPH_WORKSPACE: request.workspace } : {}),
    ...(request.merged ? { RALPH_MERGED: "1" } : {}),
  };
}

function tail(text: string, max = 1000): string {
  const t = text.trim();
  return t.length <= max ? t : `…${lastChars(t, max)}`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** Why a command did not succeed, in one sentence with what it printed last. */
export function describeFailure(what: string, outcome: CommandOutcome, timeoutMs: number): string {
  const printed = tail(outcome.stderrTail) || tail(outcome.stdout);
  const said = printed ? `: ${printed}` : " and printed nothing";
  switch (outcome.kind) {
    case "spawn_error":
      return `The ${what} could not be started: ${outcome.error ?? "unknown error"}`;
    case "timeout":
      return `The ${what} timed out after ${seconds(timeoutMs)} and was killed with its child processes${printed ? `; it printed${said}` : ""}`;
    case "aborted":
      return `The ${what} was cancelled`;
    case "exited":
      return outcome.signal
        ? `The ${what} was killed by ${outcome.signal}${said}`
        : `The ${what} exited with code ${outcome.code}${said}`;
  }
}

/** Exit codes of a shell that could not run the command: 126 not executable, 127 not found. */
const CANNOT_START_CODES = new Set([126, 127]);

/** The command never ran as a program: it could not be spawned, found or executed. */
export function cannotStart(outcome: CommandOutcome): boolean {
  return (
    outcome.kind === "spawn_error" ||
    (outcome.kind === "exited" && outcome.code !== null && CANNOT_START_CODES.has(outcome.code))
  );
}

/** A setting error's message: which setting, the command, and what the shell said. */
export function cannotStartMessage(setting: string, command: string, outcome: CommandOutcome): string {
  const said = tail(outcome.stderrTail, 300) || outcome.error || "no output";
  const how = outcome.kind === "spawn_error" ? "could not be spawned" : `exited with code ${outcome.code}`;
  return `${setting} cannot start: \`${command.slice(0, 200)}\` ${how} (${said}). Fix the command (is it installed, on PATH, executable?); no attempt was counted.`;
}

export function clipOutput(text: string, truncated: boolean, maxChars: number): string {
  const note = "\n[output cut: it was longer than the result limit]";
  if (!truncated && text.length <= maxChars) return text;
  return `${firstChars(text, Math.max(0, maxChars - note.length))}${note}`;
}

export class CommandExecutor implements Executor {
  readonly kind = "command";

  constructor(private readonly options: CommandExecutorOptions) {}

  async execute(request: ExecutionRequest, signal: AbortSignal): Promise<ExecutionResult> {
    const outcome = await runCommand(
      {
        command: this.options.command,
        input: request.prompt,
        env: taskEnv(request),
        timeoutMs: this.options.timeoutMs,
        maxOutputBytes: utf8BytesFor(this.options.maxOutputChars),
        killGraceMs: this.options.killGraceMs,
        cwd: request.workspace ?? this.options.cwd,
        onOutput: request.onOutput,
      },
      signal,
    );
    const tokens = { input: 0, output: 0 };
    if (outcome.kind === "exited" && outcome.code === 0) {
      return {
        ok: true,
        output: clipOutput(outcome.stdout.trimEnd(), outcome.truncated, this.options.maxOutputChars),
        tokens,
      };
    }
    if (cannotStart(outcome)) {
      return {
        ok: false,
        error: cannotStartMessage("RALPH_EXECUTOR_COMMAND", this.options.command, outcome),
        tokens,
        cannotStart: true,
      };
    }
    return { ok: false, error: describeFailure("agent command", outcome, this.options.timeoutMs), tokens };
  }
}
