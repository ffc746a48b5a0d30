/**
 * The web page's link to the server: the board pushed as Server-Sent Events from /api/events
 * (one stream per page; the server fans one change feed out to all of them), JSON for the rest.
 * Every change carries the anti-forgery header the server requires.
 */
import type {
  ActionResult,
  Board,
  BoardAction,
  TaskDetailView,
  TaskPageView,
} from "../../src/dashboard/types.js";
import type { BoardSource, LinkState, TaskStatus } from "./source.js";

async function asJson<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  if (response.status === 401) {
    window.location.assign("/");
    throw new Error("Signed out: sign in again.");
  }
  if (!response.ok) throw new Error(body.message ?? `The server answered ${response.status}.`);
  return body as T;
}

function post(path: string, body: unknown): Promise<ActionResult> {
  return fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-ralph-dashboard": "1" },
    body: JSON.stringify(body),
  }).then((r) => asJson<ActionResult>(r));
}

export function webSource(): BoardSource {
  return {
    kind: "web",
    watch(onBoard: (board: Board) => void, onLink: (state: LinkState) => void) {
      onLink("connecting");
      const events = new EventSource("/api/events");
      events.addEventListener("open", () => onLink("live"));
      events.addEventListener("error", () => onLink("retrying"));
      events.addEventListener("board", (event) => {
        onLink("live");
        onBoard(JSON.parse((event as MessageEvent<string>).data) as Board);
      });
      return () => events.close();
    },
    more(status: TaskStatus, cursor: string) {
      const query = new URLSearchParams({ status, cursor });
      return fetch(`/api/tasks?${query}`, { credentials: "same-origin" }).then((r) =>
        asJson<TaskPageView>(r),
      );
    },
    task(id: string) {
      return fetch(`/api/tasks/${encodeURIComponent(id)}`, { credentials: "same-origin" }).then((r) =>
        asJson<TaskDetailView>(r),
      );
    },
    act(action: BoardAction) {
      switch (action.kind) {
        case "add":
          return post("/api/tasks", action);
        case "retry":
          return post(`/api/tasks/${encodeURIComponent(action.id)}/retry`, { feedback: action.feedback });
        case "fail":
          return post(`/api/tasks/${encodeURIComponent(action.id)}/fail`, { reason: action.reason });
        case "delete":
          return post(`/api/tasks/${encodeURIComponent(action.id)}/delete`, {});
        case "cancel_run":
          return post(`/api/runs/${encodeURIComponent(action.id)}/cancel`, {});
      }
    },
  };
}
