/**
 * Tool results. Success: the brief's sentence as text, and structuredContent matching the tool's
 * outputSchema with the same sentence as `message` (Claude Code shows a model only the
 * structuredContent). Failure: `isError` with a message that tells the model what to do next;
 * no structuredContent, since 2025-era clients validate it against the outputSchema.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { isRalphError } from "../domain/errors.js";
import { log } from "../log.js";
import { toolMessage } from "./wording.js";

type Structured = { message: string } & Record<string, unknown>;

/** A success: `text` defaults to the message; pass more when the payload should be readable as text. */
export function ok(structured: Structured, text: string = structured.message): CallToolResult {
  return { content: [{ type: "text", text }], structuredContent: structured };
}

export function toolError(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

/** A thrown error as a tool error. Domain errors keep their message; anything else is logged. */
export function errorResult(tool: string, error: unknown): CallToolResult {
  if (isRalphError(error)) return toolError(toolMessage(error));
  log.error({ err: error, tool }, "unexpected error in a tool");
  const detail = error instanceof Error ? error.message : String(error);
  return toolError(
    `Unexpected error in ${tool}: ${detail.slice(0, 500)}. Try again; if it persists, report it.`,
  );
}

/** Wrap a tool handler so a failure is always a tool error, never a protocol error or a crash. */
export function guarded<A extends unknown[]>(
  tool: string,
  handler: (...args: A) => Promise<CallToolResult>,
): (...args: A) => Promise<CallToolResult> {
  return async (...args: A) => {
    try {
      return await handler(...args);
    } catch (error) {
      return errorResult(tool, error);
    }
  };
}

/** `task-001, task-002, …` with at most `max` ids named. */
export function idList(ids: string[], max = 20): string {
  if (ids.length <= max) return ids.join(", ");
  return `${ids.slice(0, max).join(", ")} and ${ids.length - max} more`;
}
