/**
 * The Anthropic Messages API client shared by the anthropic executor and judge, and the one place
 * where its errors become sentences. The official SDK honours ANTHROPIC_API_KEY and
 * ANTHROPIC_BASE_URL itself; options given here win. Its own retries (429, 5xx, connection errors,
 * with back-off and retry-after) stay on; `maxRetries` sets how many.
 */
import type Anthropic from "@anthropic-ai/sdk";
import type { TokenUsage } from "../domain/run.js";

type Sdk = typeof Anthropic;
let sdk: Sdk | undefined;

export interface AnthropicClientOptions {
  apiKey?: string | null | undefined;
  baseURL?: string | null | undefined;
  maxRetries: number;
  timeoutMs: number;
}

/**
 * The client, made on first use. Importing the SDK takes ~300 ms (hundreds of modules), which
 * neither the MCP server's start (a client waits for its first answer) nor a run with a command
 * executor should pay.
 */
export class LazyAnthropicClient {
  private client: Promise<Anthropic> | undefined;

  constructor(private readonly options: AnthropicClientOptions) {}

  get(): Promise<Anthropic> {
    this.client ??= import("@anthropic-ai/sdk").then(({ default: Sdk }) => {
      sdk = Sdk;
      const { apiKey, baseURL, maxRetries, timeoutMs } = this.options;
      return new Sdk({
        ...(apiKey ? { apiKey } : {}),
        ...(baseURL ? { baseURL } : {}),
        maxRetries,
        timeout: timeoutMs,
      });
    });
    return this.client;
  }
}

export function createAnthropicClient(options: AnthropicClientOptions): LazyAnthropicClient {
  return new LazyAnthropicClient(options);
}

/** Usage of one answer: cache writes and reads count as input tokens (priced at the input rate). */
export function usageOf(message: { usage?: unknown }): TokenUsage {
  const u = (message.usage ?? {}) as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  return {
    input: n(u.input_tokens) + n(u.cache_creation_input_tokens) + n(u.cache_read_input_tokens),
    output: n(u.output_tokens),
  };
}

export function isAbort(error: unknown): boolean {
  return (
    (sdk !== undefined && error instanceof sdk.APIUserAbortError) ||
    (error instanceof Error && error.name === "AbortError")
  );
}

/** A sentence a person (or the next attempt) can act on. */
export function describeApiError(error: unknown, context: { client: Anthropic; model: string }): string {
  const where = context.client.baseURL;
  const retries = context.client.maxRetries;
  const Anthropic = sdk; // loaded: an error from the SDK means the client was made
  if (Anthropic === undefined) {
    return `Calling the Anthropic API failed: ${error instanceof Error ? error.message : String(error)}.`;
  }
  const after = retries > 0 ? ` (after ${retries} ${retries === 1 ? "retry" : "retries"})` : "";
  if (error instanceof Anthropic.APIConnectionTimeoutError) {
    return `The Anthropic API at ${where} did not answer in time${after}.`;
  }
  if (error instanceof Anthropic.APIConnectionError) {
    const cause = (error.cause as Error | undefined)?.message;
    return `Could not reach the Anthropic API at ${where}${after}: ${cause ?? error.message}.`;
  }
  if (error instanceof Anthropic.APIError) {
    const detail = error.apiMessage ?? error.message;
    const status = error.status;
    if (status === 401)
      return `The Anthropic API rejected the credentials (401): ${detail}. Check ANTHROPIC_API_KEY.`;
    if (status === 404)
      return `The Anthropic API answered 404 for model ${context.model}: ${detail}. Check RALPH_MODEL.`;
    if (status === 429) return `The Anthropic API is rate limiting requests (429)${after}: ${detail}.`;
    if (status !== undefined && status >= 500) {
      return `The Anthropic API failed with ${status}${error.type ? ` ${error.type}` : ""}${after}: ${detail}.`;
    }
    return `The Anthropic API refused the request (${status ?? "no status"}): ${detail}.`;
  }
  if (error instanceof SyntaxError) {
    return `The Anthropic API at ${where} sent a malformed answer (not JSON): ${error.message}.`;
  }
  return `Calling the Anthropic API failed: ${error instanceof Error ? error.message : String(error)}.`;
}

/** The SDK returns whatever JSON came back; check the shape we rely on before using it. */
export function malformed(message: unknown): string | null {
  const m = message as { content?: unknown; usage?: unknown; type?: unknown } | null;
  if (!m || typeof m !== "object") return "the answer is not a JSON object";
  if (!Array.isArray(m.content)) return "the answer has no content array";
  if (!m.usage || typeof m.usage !== "object") return "the answer has no usage";
  return null;
}
