/**
 * The orchestrator's public API.
 *
 * For the MCP layer — `run_orchestrator(max_tasks=10, wait=true, …)` and `task://runs/{id}`:
 *
 *   const runs = new RunRegistry({ store });   // one per server; settings from env + RALPH_CONFIG
 *
 *   // wait=true: progress notifications while it works, cancelled with the request
 *   const run = await runs.start({
 *     maxTasks: args.max_tasks,
 *     signal: extra.signal,                     // request cancelled → run cancelled, task back in line
 *     onProgress: (e) => sendProgress({ progress: e.seq, message: e.message }),
 *     sampling: clientOffersSampling ? (req, signal) => server.createMessage(req, { signal }) : undefined,
 *   });
 *   const final = await run.done;               // final.stats: processed, completed, … cost_usd
 *
 *   // wait=false: return run.id at once; the resource reads runs.get(id); a subscription uses
 *   // runs.watch(id, () => sendResourceUpdated(`task://runs/${id}`)); cancel with runs.cancel(id).
 *   // On shutdown: await runs.close().
 *
 * A wrong setting makes start() reject with a ConfigError whose message names the setting.
 */
export { type LoopSettings, Orchestrator, OrchestratorBuilder, type RunParams } from "./builder.js";
export { type BreakerDecision, type BreakerState, CircuitBreaker, type Trip } from "./circuit-breaker.js";
export { systemClock } from "./clock.js";
export { ConfigError, type ConfigFile, type LoadConfigInput, loadOrchestratorOptions } from "./config.js";
export { AnthropicExecutor } from "./executors/anthropic.js";
export { CommandExecutor } from "./executors/command.js";
export {
  type CreateMessage,
  SamplingExecutor,
  type SamplingRequest,
  type SamplingResult,
} from "./executors/sampling.js";
export {
  type BreakerLimits,
  DEFAULT_OPTIONS,
  DEFAULT_PRICES,
  type OrchestratorOptions,
  type Price,
  type PriceTable,
} from "./options.js";
export { createExecutor, createVerifier } from "./parts.js";
export { costOf, priceOf } from "./pricing.js";
export { buildPrompt } from "./prompt.js";
export { type RunListener, RunRegistry, type RunRegistryOptions, type StartRunParams } from "./registry.js";
export type {
  Clock,
  ExecutionRequest,
  ExecutionResult,
  Executor,
  ProgressKind,
  ProgressListener,
  RunHandle,
  RunProgress,
  Verdict,
  VerificationRequest,
  Verifier,
} from "./types.js";
export { VerifierError } from "./types.js";
export { AnthropicVerifier } from "./verifiers/anthropic.js";
export { CommandVerifier } from "./verifiers/command.js";
export { NoVerifier } from "./verifiers/none.js";
