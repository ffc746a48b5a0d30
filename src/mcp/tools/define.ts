/**
 * How every tool is registered: its schemas listed compactly (listed-schema.ts), its hints as
 * MCP annotations, and its handler guarded, so a failure is an `isError` result with an
 * actionable message, never a crash.
 */
import type { CallToolResult, McpServer, ServerContext, ToolAnnotations } from "@modelcontextprotocol/server";
import type { z } from "zod";
import { listed } from "../listed-schema.js";
import { guarded } from "../results.js";

/** What a tool does to the queue. Every tool states all three. */
interface ToolHints {
  readOnly: boolean;
  destructive: boolean;
  idempotent: boolean;
  /** It reaches outside the queue (run_orchestrator runs agents). Default false. */
  openWorld?: boolean;
}

interface ToolDefinition<I extends z.ZodType, O extends z.ZodType> {
  /** A short name for people, shown by clients in place of the tool's name. */
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  hints: ToolHints;
  /** Input properties whose items repeat another tool's arguments (see listed()). */
  terse?: readonly string[];
  /** The tool's `_meta` in tools/list (show_board: the MCP App it renders, `ui.resourceUri`). */
  meta?: Record<string, unknown>;
}

/**
 * The hints as MCP annotations, leaving out what equals the spec's defaults (readOnlyHint
 * false, idempotentHint false, destructiveHint true, openWorldHint true), and destructiveHint and
 * idempotentHint altogether on a read-only tool, where the spec gives them no meaning: the same
 * facts in fewer tools/list bytes. Only run_orchestrator reaches outside the queue (it runs agents); every other
 * tool says openWorldHint false.
 */
function annotationsFor(hints: ToolHints): ToolAnnotations {
  const annotations: ToolAnnotations = {};
  if (hints.readOnly) annotations.readOnlyHint = true;
  else {
    if (!hints.destructive) annotations.destructiveHint = false;
    if (hints.idempotent) annotations.idempotentHint = true;
  }
  if (!hints.openWorld) annotations.openWorldHint = false;
  // A tool whose hints all equal the defaults (run_orchestrator: destructive, open world) still
  // says so: a client that shows no annotations cannot tell "unknown" from "the defaults".
  if (Object.keys(annotations).length === 0) {
    if (!hints.readOnly) annotations.destructiveHint = hints.destructive;
    annotations.openWorldHint = hints.openWorld === true;
  }
  return annotations;
}

export function defineTool<I extends z.ZodType, O extends z.ZodType>(
  server: McpServer,
  name: string,
  definition: ToolDefinition<I, O>,
  handler: (args: z.output<I>, ctx: ServerContext) => Promise<CallToolResult>,
): void {
  const annotations = annotationsFor(definition.hints);
  server.registerTool(
    name,
    {
      title: definition.title,
      description: definition.description,
      inputSchema: listed(definition.inputSchema, { terse: definition.terse ?? [] }),
      outputSchema: listed(definition.outputSchema),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ...(definition.meta ? { _meta: definition.meta } : {}),
    },
    guarded(name, handler),
  );
}
