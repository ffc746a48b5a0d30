/**
 * The sampling executor: the connected MCP client's own model, through sampling/createMessage
 * (offered by 2025-era clients; the current protocol revision deprecates sampling). The MCP layer
 * supplies `createMessage` — typically `(params, signal) => server.createMessage(params, { signal })`
 * for the session that started the run — so this file does not depend on the MCP SDK.
 */
import { LIMITS } from "../../domain/task.js";
import type { ExecutionRequest, ExecutionResult, Executor } from "../types.js";

/** The parts of MCP's CreateMessageRequest params this executor sends. */
export interface SamplingRequest {
  messages: Array<{ role: "user"; content: { type: "text"; text: string } }>;
  maxTokens: number;
  systemPrompt?: string;
  includeContext?: "none";
}

/** The parts of MCP's CreateMessageResult it reads. */
export interface SamplingResult {
  model: string;
  content: { type: string; text?: string } | Array<{ type: string; text?: string }>;
  stopReason?: string;
}

export type CreateMessage = (request: SamplingRequest, signal: AbortSignal) => Promise<SamplingResult>;

export interface SamplingExecutorOptions {
  createMessage: CreateMessage;
  maxTokens: number;
  systemPrompt?: string | null | undefined;
}

export class SamplingExecutor implements Executor {
  readonly kind = "sampling";

  constructor(private readonly options: SamplingExecutorOptions) {}

  async execute(request: ExecutionRequest, signal: AbortSignal): Promise<ExecutionResult> {
    const tokens = { input: 0, output: 0 }; // sampling reports no usage; the client pays
    let result: SamplingResult;
    try {
      result = await this.options.createMessage(
        {
          messages: [{ role: "user", content: { type: "text", text: request.prompt } }],
          maxTokens: this.options.maxTokens,
          includeContext: "none",
          ...(this.options.systemPrompt ? { systemPrompt: this.options.systemPrompt } : {}),
        },
        signal,
      );
    } catch (error) {
      if (signal.aborted) throw error;
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, error: `The client's model could not be sampled: ${message}`, tokens };
    }
    const blocks = Array.isArray(result.content) ? result.content : [result.content];
    const text = blocks
      .filter((b) => b?.type === "text" && typeof b.text === "string")
      .map((b) => b.text)
      .join("")
      .trim();
    if (text === "") return { ok: false, error: "The client's model answered with no text.", tokens };
    return { ok: true, output: text.slice(0, LIMITS.resultChars), tokens, model: result.model };
  }
}
