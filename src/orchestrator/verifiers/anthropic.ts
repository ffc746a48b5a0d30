/**
 * The LLM judge: the Messages API is made to call one tool, `record_verdict`, whose input is the
 * verdict {passed, confidence, feedback, issues} — structured output through a forced tool call, not
 * parsed prose. A pass below the minimum confidence counts as a fail.
 */
import type Anthropic from "@anthropic-ai/sdk";
import { z } from "zod";
import { LIMITS } from "../../domain/task.js";
import { describeApiError, isAbort, type LazyAnthropicClient, malformed, usageOf } from "../anthropic.js";
import { type Verdict, type VerificationRequest, type Verifier, VerifierError } from "../types.js";

export const VERDICT_TOOL = "record_verdict";

const verdictSchema = z.object({
  passed: z.boolean(),
  confidence: z.number().min(0).max(1),
  feedback: z.string(),
  issues: z.array(z.string()).default([]),
});

const TOOL: Anthropic.Tool = {
  name: VERDICT_TOOL,
  description: "Record whether the result meets the task and its acceptance criteria.",
  input_schema: {
    type: "object",
    properties: {
      passed: {
        type: "boolean",
        description: "True only when the result fully does the task and meets every criterion.",
      },
      confidence: {
        type: "number",
        minimum: 0,
        maximum: 1,
        description: "How sure you are of this verdict, 0 to 1.",
      },
      feedback: {
        type: "string",
        description:
          "When it did not pass: what the next attempt must do differently, concretely. Else a short note.",
      },
      issues: { type: "array", items: { type: "string" }, description: "Each problem found, one per entry." },
    },
    required: ["passed", "confidence", "feedback", "issues"],
  },
};

export interface AnthropicVerifierOptions {
  client: LazyAnthropicClient;
  model: string;
  minConfidence: number;
}

function judgePrompt(request: VerificationRequest): string {
  const { task } = request;
  return [
    "You review the result of a task an AI agent carried out. Judge it strictly against the task and its acceptance criteria.",
    "",
    "## Task",
    task.description.trim(),
    ...(task.criteria?.trim() ? ["", "## Acceptance criteria", task.criteria.trim()] : []),
    "",
    `## Result of attempt ${request.attempt}`,
    request.output,
    "",
    `Call ${VERDICT_TOOL} with your verdict.`,
  ].join("\n");
}

export class AnthropicVerifier implements Verifier {
  readonly kind = "anthropic";
  readonly model: string;

  constructor(private readonly options: AnthropicVerifierOptions) {
    this.model = options.model;
  }

  async verify(request: VerificationRequest, signal: AbortSignal): Promise<Verdict> {
    const { model, minConfidence } = this.options;
    const client = await this.options.client.get();
    let message: Anthropic.Message;
    try {
      message = await client.messages.create(
        {
          model,
          max_tokens: 2048,
          tools: [TOOL],
          tool_choice: { type: "tool", name: VERDICT_TOOL },
          messages: [{ role: "user", content: judgePrompt(request) }],
        },
        { signal },
      );
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new VerifierError(
        `The judge could not check the result. ${describeApiError(error, { client, model })}`,
      );
    }
    const bad = malformed(message);
    if (bad) throw new VerifierError(`The judge's answer was malformed: ${bad}.`);
    const tokens = usageOf(message);
    const call = message.content.find(
      (block): block is Anthropic.ToolUseBlock => block?.type === "tool_use" && block.name === VERDICT_TOOL,
    );
    if (!call) throw new VerifierError(`The judge did not call ${VERDICT_TOOL}; no verdict was given.`);
    const parsed = verdictSchema.safeParse(call.input);
    if (!parsed.success) {
      throw new VerifierError(
        `The judge's verdict was malformed: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}.`,
      );
    }
    const verdict = parsed.data;
    const answered = typeof message.model === "string" && message.model ? message.model : model;
    const issues = verdict.issues.map((i) => i.trim()).filter(Boolean);
    if (verdict.passed && verdict.confidence < minConfidence) {
      return {
        passed: false,
        confidence: verdict.confidence,
        feedback:
          `The reviewer was not confident enough that this passes (${verdict.confidence} < ${minConfidence}). ${verdict.feedback}`.slice(
            0,
            LIMITS.feedbackChars,
          ),
        issues,
        tokens,
        model: answered,
      };
    }
    return {
      passed: verdict.passed,
      confidence: verdict.confidence,
      feedback: verdict.feedback.slice(0, LIMITS.feedbackChars),
      issues,
      tokens,
      model: answered,
    };
  }
}
