/** The executor and verifier an OrchestratorOptions names. */
import { createAnthropicClient, type LazyAnthropicClient } from "./anthropic.js";
import { ConfigError, check } from "./config.js";
import { AnthropicExecutor } from "./executors/anthropic.js";
import { CommandExecutor } from "./executors/command.js";
import { type CreateMessage, SamplingExecutor } from "./executors/sampling.js";
import type { OrchestratorOptions } from "./options.js";
import type { Executor, Verifier } from "./types.js";
import { AnthropicVerifier } from "./verifiers/anthropic.js";
import { CommandVerifier } from "./verifiers/command.js";
import { NoVerifier } from "./verifiers/none.js";

export interface PartsContext {
  /** The MCP client's sampling, for executor "sampling" (only the MCP layer has one). */
  sampling?: CreateMessage | undefined;
  /** Working directory of executor and verifier commands (default: this process's). */
  cwd?: string | undefined;
}

/**
 * The Messages API client. Without credentials every attempt would fail (and spend the tasks'
 * attempts), so a missing key is a setting error before the run starts. The SDK itself reads
 * ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN from the environment.
 */
function client(
  options: OrchestratorOptions,
  role: "RALPH_EXECUTOR" | "RALPH_VERIFIER",
): LazyAnthropicClient {
  const fromEnv = (name: string) => (process.env[name]?.trim() ?? "") !== "";
  if (!options.apiKey && !fromEnv("ANTHROPIC_API_KEY") && !fromEnv("ANTHROPIC_AUTH_TOKEN")) {
    const hint =
      role === "RALPH_EXECUTOR"
        ? ' (the default when RALPH_EXECUTOR_COMMAND is not set). Set ANTHROPIC_API_KEY, or RALPH_EXECUTOR_COMMAND to an agent command such as "claude -p".'
        : ". Set ANTHROPIC_API_KEY, or choose RALPH_VERIFIER=command or none.";
    throw new ConfigError("ANTHROPIC_API_KEY", `${role}=anthropic needs ANTHROPIC_API_KEY${hint}`);
  }
  return createAnthropicClient({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    maxRetries: options.apiMaxRetries,
    timeoutMs: options.apiTimeoutMs,
  });
}

export function createExecutor(options: OrchestratorOptions, context: PartsContext = {}): Executor {
  check(options);
  switch (options.executor) {
    case "anthropic":
      return new AnthropicExecutor({
        client: client(options, "RALPH_EXECUTOR"),
        model: options.model,
        maxTokens: options.maxTokens,
        systemPrompt: options.systemPrompt,
      });
    case "command":
      return new CommandExecutor({
        command: options.executorCommand as string,
        timeoutMs: options.commandTimeoutMs,
        maxOutputChars: options.maxOutputChars,
        killGraceMs: options.killGraceMs,
        cwd: context.cwd,
      });
    case "sampling":
      if (!context.sampling) {
        throw new ConfigError(
          "RALPH_EXECUTOR",
          "RALPH_EXECUTOR=sampling runs tasks on the connected MCP client's model, but this client does not offer sampling (and `ralph-mcp run` has no client). Use RALPH_EXECUTOR=anthropic or command.",
        );
      }
      return new SamplingExecutor({
        createMessage: context.sampling,
        maxTokens: options.maxTokens,
        systemPrompt: options.systemPrompt,
      });
  }
}

export function createVerifier(options: OrchestratorOptions, context: PartsContext = {}): Verifier {
  check(options);
  switch (options.verifier) {
    case "anthropic":
      return new AnthropicVerifier({
        client: client(options, "RALPH_VERIFIER"),
        model: options.verifierModel ?? options.model,
        minConfidence: options.minConfidence,
      });
    case "command":
      return new CommandVerifier({
        command: options.verifierCommand as string,
        timeoutMs: options.verifierTimeoutMs,
        killGraceMs: options.killGraceMs,
        cwd: context.cwd,
      });
    case "none":
      return new NoVerifier();
  }
}
