/**
 * show_board: the dashboard inside the conversation, as an MCP App. The tool names a `ui://`
 * resource (the board's front end as one HTML file, `text/html;profile=mcp-app`); hosts with MCP
 * Apps render it and its buttons call our tools through the host. Hosts without MCP Apps get a
 * short text summary of the same board. The App also calls show_board itself to refresh.
 */
import { RESOURCE_MIME_TYPE, registerAppResource } from "@modelcontextprotocol/ext-apps/server";
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { appPage } from "../../dashboard/assets.js";
import { boardSnapshot } from "../../dashboard/snapshot.js";
import type { Board } from "../../dashboard/types.js";
import type { McpContext } from "../context.js";
import { ok } from "../results.js";
import { defineTool } from "./define.js";

export const BOARD_UI_URI = "ui://ralph/board.html";
/** Cards per status in show_board's reply: it lands in a model's context too, so fewer than the web page. */
const CARDS_IN_REPLY = 10;

const output = z.object({ message: z.string(), board: z.record(z.string(), z.unknown()) });

/** The board in a few lines, for hosts that cannot show the App (and for the model). */
export function boardSummary(board: Board): string {
  const s = board.stats;
  const lines = [
    `Board: ${s.total} tasks — ${s.pending} pending (${s.blocked} blocked), ${s.in_progress} in progress, ` +
      `${s.completed} completed, ${s.failed} failed.`,
  ];
  for (const run of board.runs.filter((r) => r.status === "running")) {
    const doing = run.current?.task_id ? `${run.current.task_id}, ${run.current.phase}` : "between tasks";
    lines.push(
      `${run.id} running (${doing}); ${run.stats.executions} executions, $${run.stats.cost_usd.toFixed(2)}.`,
    );
  }
  const failed = board.columns.find((c) => c.status === "failed")?.cards ?? [];
  for (const card of failed.slice(0, 3)) lines.push(`Failed ${card.id}: ${card.failure_reason ?? ""}`);
  return lines.join("\n");
}

export function registerShowBoard(server: McpServer, { store }: McpContext): void {
  defineTool(
    server,
    "show_board",
    {
      title: "Show board",
      description: "Show the user the live task board (an app; a text summary where apps are not shown).",
      inputSchema: z.object({}),
      outputSchema: output,
      hints: { readOnly: true, destructive: false, idempotent: true },
      meta: { ui: { resourceUri: BOARD_UI_URI } },
    },
    async () => {
      const board = await boardSnapshot(store, CARDS_IN_REPLY);
      const message = boardSummary(board);
      return ok({ message, board: board as unknown as Record<string, unknown> });
    },
  );
  registerAppResource(
    server,
    "board",
    BOARD_UI_URI,
    {
      description: "The task board as an MCP App (show_board renders it)",
      _meta: { ui: { prefersBorder: true } },
    },
    async () => ({
      contents: [
        {
          uri: BOARD_UI_URI,
          mimeType: RESOURCE_MIME_TYPE,
          text: appPage(),
          _meta: { ui: { prefersBorder: true } },
        },
      ],
    }),
  );
}
