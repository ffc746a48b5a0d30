/**
 * The web page's link to the server: the first board read from /api/board, then the board pushed
 * as Server-Sent Events from /api/events (one stream per browser; the server fans one change feed
 * out to all of them), JSON for the rest.
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

/**
 * One page's own event stream. The browser reconnects by itself when the connection drops; a
 * refused stream (the session ended, the server restarted without it) is closed for good, so then
 * the page looks again after a pause: back to the sign-in form on 401, else a new stream.
 */
function ownStream(onBoard: (board: Board) => void, onLink: (state: LinkState) => void): () => void {
  let events: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const open = () => {
    const stream = new EventSource("/api/events");
    events = stream;
    stream.addEventListener("open", () => onLink("live"));
    stream.addEventListener("board", (event) => {
      onLink("live");
      onBoard(JSON.parse((event as MessageEvent<string>).data) as Board);
    });
    stream.addEventListener("error", () => {
      onLink("retrying");
      if (stream.readyState !== EventSource.CLOSED || stopped) return;
      timer = setTimeout(() => {
        void fetch("/api/board", { credentials: "same-origin" }).then(
          (r) => (r.status === 401 ? window.location.assign("/") : stopped || open()),
          () => stopped || open(),
        );
      }, 2000);
    });
  };
  open();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    events?.close();
  };
}

type Shared = { type: "board"; board: Board } | { type: "link"; state: LinkState } | { type: "hello" };

/**
 * One event stream per browser, shared by all its board tabs: a browser keeps at most six
 * HTTP/1.1 connections per server, and each stream holds one, so a seventh tab would never load.
 * The tab holding a Web Lock opens the stream and passes every board on over a BroadcastChannel;
 * when it closes, the lock (and the stream) passes to another tab.
 */
function sharedStream(onBoard: (board: Board) => void, onLink: (state: LinkState) => void): () => void {
  if (typeof BroadcastChannel === "undefined" || !navigator.locks) return ownStream(onBoard, onLink);
  const channel = new BroadcastChannel("ralph-board");
  let latest: Board | null = null;
  let leading = false;
  let stop: (() => void) | null = null;
  let closed = false;
  channel.onmessage = (event: MessageEvent<Shared>) => {
    const message = event.data;
    if (message.type === "board") {
      onLink("live");
      onBoard(message.board);
    } else if (message.type === "link") onLink(message.state);
    else if (message.type === "hello" && leading && latest)
      channel.postMessage({ type: "board", board: latest });
  };
  void navigator.locks.request(
    "ralph-board-events",
    () =>
      new Promise<void>((release) => {
        if (closed) return release();
        leading = true;
        const end = ownStream(
          (board) => {
            latest = board;
            onBoard(board);
            channel.postMessage({ type: "board", board } satisfies Shared);
          },
          (state) => {
            onLink(state);
            channel.postMessage({ type: "link", state } satisfies Shared);
          },
        );
        stop = () => {
          end();
          release();
        };
      }),
  );
  channel.postMessage({ type: "hello" } satisfies Shared);
  return () => {
    closed = true;
    stop?.();
    channel.close();
  };
}

export function webSource(): BoardSource {
  return {
    kind: "web",
    watch(onBoard: (board: Board) => void, onLink: (state: LinkState) => void) {
      onLink("connecting");
      // The first view from a plain read, at once, unless the stream has delivered one already
      // (a slow stream, a one-shot screenshot); the stream then keeps it live.
      let streamed = false;
      let stopped = false;
      void fetch("/api/board", { credentials: "same-origin" })
        .then((r) => (r.ok ? (r.json() as Promise<Board>) : null))
        .then(
          (board) => {
            if (board && !streamed && !stopped) onBoard(board);
          },
          () => {},
        );
      const stop = sharedStream((board) => {
        streamed = true;
        onBoard(board);
      }, onLink);
      return () => {
        stopped = true;
        stop();
      };
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
          return post(`/api/tasks/${encodeURIComponent(action.id)}/delete`, { force: action.force === true });
        case "cancel_run":
          return post(`/api/runs/${encodeURIComponent(action.id)}/cancel`, {});
      }
    },
  };
}
