/**
 * The anthropic executor: one Messages API call per attempt, with the model from RALPH_MODEL. Token
 * usage is recorded; an API error (after the SDK's own retries) is a failed attempt with the reason.
 */
import type Anthropic from "@anthropic-ai/sdk";
import { LIMITS } from "../../domain/task.js";
import { describeApiError, isAbort, type LazyAnthropicClient, malformed, usageOf } from "../anthropic.js";
import type { ExecutionRequest, ExecutionResult, Executor } from "../types.js";

export interface AnthropicExecutorOptions {
  client: LazyAnthropicClient;
  model: string;
  maxTokens: number;
  systemPrompt?: string | null | undefined;
}

export class AnthropicExecutor implements Executor {
  readonly kind = "anthropic";
  readonly model: string;

  constructor(private readonly options: AnthropicExecutorOptions) {
    this.model = options.model;
  }

  async execute(request: ExecutionRequest, signal: AbortSignal): Promise<ExecutionResult> {
    const { model } = this.options;
    const client = await this.options.client.get();
    let message: Anthropic.Message;
    try {
      message = await client.messages.create(
        {
          model,
          max_tokens: this.options.maxTokens,
          ...(this.options.systemPrompt ? { system: this.options.systemPrompt } : {}),
          messages: [{ role: "user", content: request.prompt }],
        },
        { signal },
      );
    } catch (error) {
      if (isAbort(error)) throw error;
      return {
        ok: false,
        error: describeApiError(error, { client, model }),
        tokens: { input: 0, output: 0 },
        model,
      };
    }
    const bad = malformed(message);
    if (bad) {
      return {
        ok: false,
        error: `The Anthropic API at ${client.baseURL} sent a malformed answer: ${bad}.`,
        tokens: { input: 0, output: 0 },
        model,
      };
    }
    const tokens = usageOf(message);
    const answered = typeof message.model === "string" && message.model ? message.model : model;
    if (message.stop_reason === "refusal") {
      return {
        ok: false,
        error: "The model refused the task (stop_reason: refusal).",
        tokens,
        model: answered,
      };
    }
    const text = message.content
      .filter(
        (block): block is Anthropic.TextBlock => block?.type === "text" && typeof block.text === "string",
      )
      .map((block) => block.text)
      .join("")
      .trim();
    if (text === "") {
      return { ok: false, error: "The model answered with no text.", tokens, model: answered };
    }
    const cut = message.stop_reason === "max_tokens" ? "\n[answer cut: it reached max_tokens]" : "";
    const output = (text + cut).slice(0, LIMITS.resultChars);
    return { ok: true, output, tokens, model: answered };
  }
}
