/**
 * The MCP App's link: inside a chat host (Claude Desktop, claude.ai, …) the board cannot reach our
 * server itself; it asks the host, which calls our tools (`show_board` for the picture, the queue
 * tools for actions). There is no push channel through a host, so the board asks again after each
 * action and every few seconds while it is visible.
 */
import { App } from "@modelcontextprotocol/ext-apps";
import type {
  ActionResult,
  Board,
  BoardAction,
  TaskCard,
  TaskDetailView,
  TaskPageView,
} from "../../src/dashboard/types.js";
import type { Task } from "../../src/domain/task.js";
import type { BoardSource, LinkState, TaskStatus } from "./source.js";

const REFRESH_MS = 5000;

interface ToolReply {
  isError?: boolean;
  content?: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
}

function textOf(reply: ToolReply): string {
  return (reply.content ?? []).map((c) => c.text ?? "").join("\n");
}

function boardOf(reply: ToolReply): Board | null {
  const board = reply.structuredContent?.board;
  return typeof board === "object" && board !== null ? (board as Board) : null;
}

export async function appSource(): Promise<BoardSource> {
  const app = new App({ name: "ralph-board", version: "1.0.0" }, {});
  const listeners = new Set<(board: Board) => void>();
  app.ontoolresult = (result) => {
    const board = boardOf(result as ToolReply);
    if (board) for (const l of listeners) l(board);
  };
  await app.connect();

  const call = async (name: string, args: Record<string, unknown>): Promise<ToolReply> => {
    const reply = (await app.callServerTool({ name, arguments: args })) as ToolReply;
    if (reply.isError) throw new Error(textOf(reply) || `${name} failed.`);
    return reply;
  };
  const refresh = async () => {
    const board = boardOf(await call("show_board", {}));
    if (board) for (const l of listeners) l(board);
  };
  const done = (reply: ToolReply): ActionResult => {
    void refresh().catch(() => {});
    const message = reply.structuredContent?.message;
    return { ok: true, message: typeof message === "string" ? message : textOf(reply) };
  };

  return {
    kind: "app",
    watch(onBoard: (board: Board) => void, onLink: (state: LinkState) => void) {
      listeners.add(onBoard);
      const tick = () =>
        refresh().then(
          () => onLink("live"),
          () => onLink("retrying"),
        );
      onLink("connecting");
      void tick();
      const timer = setInterval(() => {
        if (document.visibilityState === "visible") void tick();
      }, REFRESH_MS);
      return () => {
        clearInterval(timer);
        listeners.delete(onBoard);
      };
    },
    async more(status: TaskStatus, cursor: string): Promise<TaskPageView> {
      const reply = await call("list_tasks", { status, cursor, limit: 30 });
      const page = reply.structuredContent as {
        tasks?: Array<Partial<TaskCard>>;
        total?: number;
        nextCursor?: string | null;
      };
      const cards = (page.tasks ?? []).map(
        (t): TaskCard => ({
          id: t.id ?? "",
          status: (t.status as TaskStatus) ?? status,
          description: t.description ?? "",
          priority: t.priority ?? 5,
          attempts: t.attempts ?? 0,
          max_attempts: t.max_attempts ?? 3,
          tags: t.tags ?? [],
          depends_on: t.depends_on ?? [],
          blocked_by: [],
          claimed_by: t.claimed_by ?? null,
          lease_expires_at: null,
          failure_reason: t.failure_reason ?? null,
          result: t.result ?? null,
          updated_at: "",
          not_before: null,
        }),
      );
      return { cards, total: page.total ?? cards.length, nextCursor: page.nextCursor ?? null };
    },
    async task(id: string): Promise<TaskDetailView> {
      const reply = await call("get_task", { task_id: id });
      return { task: reply.structuredContent?.task as Task, dependencies: [] };
    },
    async act(action: BoardAction): Promise<ActionResult> {
      switch (action.kind) {
        case "add":
          return done(
            await call("add_task", { description: action.description, priority: action.priority ?? 5 }),
          );
        case "retry":
          return done(await call("retry_task", { task_id: action.id, feedback: action.feedback }));
        case "fail":
          return done(await call("fail_task", { task_id: action.id, reason: action.reason }));
        case "delete":
          return done(
            await call("delete_task", { task_id: action.id, ...(action.force ? { force: true } : {}) }),
          );
        case "cancel_run":
          return done(await call("run_orchestrator", { run_id: action.id, cancel: true }));
      }
    },
  };
}
