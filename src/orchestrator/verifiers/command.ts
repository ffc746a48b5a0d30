/**
 * The command verifier: a check from RALPH_VERIFIER_COMMAND (`npm test`, a script, a linter). The
 * result comes on stdin, RALPH_TASK_ID / RALPH_TASK_ATTEMPT / RALPH_RUN_ID in its environment;
 * exit 0 passes, and what it prints (stdout, then stderr) is the feedback for the next attempt.
 * A check that cannot run or times out throws: the attempt cannot be judged.
 */
import { LIMITS } from "../../domain/task.js";
import { cannotStart, cannotStartMessage, describeFailure, taskEnv } from "../executors/command.js";
import { runCommand } from "../process.js";
import { firstChars, utf8BytesFor } from "../text-cut.js";
import { type Verdict, type VerificationRequest, type Verifier, VerifierError } from "../types.js";

export interface CommandVerifierOptions {
  command: string;
  timeoutMs: number;
  killGraceMs: number;
  cwd?: string | undefined;
}

export class CommandVerifier implements Verifier {
  readonly kind = "command";

  constructor(private readonly options: CommandVerifierOptions) {}

  async verify(request: VerificationRequest, signal: AbortSignal): Promise<Verdict> {
    const outcome = await runCommand(
      {
        command: this.options.command,
        input: request.output,
        env: taskEnv(request),
        timeoutMs: this.options.timeoutMs,
        maxOutputBytes: utf8BytesFor(LIMITS.feedbackChars),
        killGraceMs: this.options.killGraceMs,
        cwd: request.workspace ?? this.options.cwd,
      },
      signal,
    );
    if (cannotStart(outcome)) {
      const error = new VerifierError(
        cannotStartMessage("RALPH_VERIFIER_COMMAND", this.options.command, outcome),
      );
      error.cannotStart = true;
      throw error;
    }
    if (outcome.kind !== "exited" || outcome.signal !== null) {
      throw new VerifierError(describeFailure("check command", outcome, this.options.timeoutMs));
    }
    const printed = [outcome.stdout.trim(), outcome.stderrTail.trim()].filter(Boolean).join("\n");
    const passed = outcome.code === 0;
    const feedback = passed
      ? printed
      : printed || `The check command exited with code ${outcome.code} and printed nothing.`;
    return { passed, confidence: 1, feedback: firstChars(feedback, LIMITS.feedbackChars), issues: [] };
  }
}
