/**
 * Where the board's data comes from and where its actions go. One front end, two places:
 * the web page talks to our server (fetch + Server-Sent Events, web-source.ts); the MCP App talks
 * to the chat host, which calls our tools (app-source.ts).
 */
import type {
  ActionResult,
  Board,
  BoardAction,
  TaskDetailView,
  TaskPageView,
} from "../../src/dashboard/types.js";

export type TaskStatus = "pending" | "in_progress" | "completed" | "failed";

/** How the board is connected: live (pushed), connecting, or cut off (retrying). */
export type LinkState = "connecting" | "live" | "retrying";

export interface BoardSource {
  /** Where the page runs: "web" (fetch + SSE) or "app" (inside a chat host). */
  readonly kind: "web" | "app";
  /** Call `onBoard` with every new picture of the board until the returned function is called. */
  watch(onBoard: (board: Board) => void, onLink: (state: LinkState) => void): () => void;
  more(status: TaskStatus, cursor: string): Promise<TaskPageView>;
  task(id: string): Promise<TaskDetailView>;
  /** Resolves with the server's sentence; rejects with an Error whose message says what went wrong. */
  act(action: BoardAction): Promise<ActionResult>;
}
