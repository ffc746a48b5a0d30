/**
 * Resource subscriptions for one server instance, in both protocol eras:
 *
 * - 2025-era connections subscribe per resource with `resources/subscribe`. The SDK's McpServer
 *   (v2.4) installs no handler for it, so this module does, and keeps the connection's set of
 *   subscribed URIs; a change is sent only for those.
 * - On the 2026-07-28 era the client opens `subscriptions/listen` with the URIs it wants; the
 *   serving entry (serveStdio, createMcpHandler) holds that filter and routes what
 *   `sendResourceUpdated()` emits onto the matching streams. When the entry can tell which URIs
 *   are listened to (stdio, through ListenTap), only those are sent; otherwise every URI a change
 *   may have touched is, and the router drops the rest.
 */
import { type McpServer, ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import { TASK_STATUSES } from "../domain/task.js";
import { log } from "../log.js";
import type { TaskStore } from "../store/types.js";
import {
  affects,
  type ChangeHub,
  FILTER_URI_PREFIX,
  type QueueChange,
  STATIC_RESOURCE_URIS,
  TASK_URI_PREFIX,
  taskUri,
} from "./changes.js";

const FILTER_URIS = TASK_STATUSES.map((s) => `${FILTER_URI_PREFIX}${s}`);
/** After a change that may touch any task, a modern instance announces this many recent task URIs. */
const RECENT_TASK_URIS = 200;

/**
 * Resources whose updates do not come from the queue's change feed (the orchestrator's runs):
 * the instance tells it which URIs its connection watches, and it sends their updates itself.
 */
export interface UpdateSource {
  /** Whether `uri` is one of its resources, so a client may subscribe to it. */
  accepts(uri: string): boolean;
  /** How it is described in an error about a URI that is not a resource here. */
  readonly pattern: string;
  /**
   * The URIs the connection watches now (it keeps to its own and ignores the rest); "all" when
   * the instance cannot tell, so every update it has goes out and the listen router filters.
   */
  sync(uris: ReadonlySet<string> | "all"): void;
  close(): void;
}

/**
 * Our own namespace is checked, so a typo (task://qeue) is an error rather than a subscription that
 * never fires. A URI of another scheme is accepted and simply never updated: clients (and the
 * conformance suite) may subscribe to what they like, and that is not ours to refuse.
 */
function assertSubscribable(uri: string, source: UpdateSource | undefined): void {
  if (!uri.startsWith("task://")) return;
  const known =
    (STATIC_RESOURCE_URIS as readonly string[]).includes(uri) ||
    FILTER_URIS.includes(uri) ||
    /^task:\/\/tasks\/task-\d{1,15}$/.test(uri) ||
    source?.accepts(uri) === true;
  if (!known) {
    const more = source ? `, ${source.pattern}` : "";
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Cannot subscribe to ${uri.slice(0, 100)}: no such resource here. ` +
        `Use ${STATIC_RESOURCE_URIS.join(", ")}, ${FILTER_URI_PREFIX}{status}, ${TASK_URI_PREFIX}{id}${more}.`,
    );
  }
}

/**
 * Every URI a change may have touched, for a subscriber-agnostic sender (a listen router drops
 * what nobody asked for): the static and filter resources, and the changed tasks, or, when any
 * task may have changed, the most recent ones.
 */
export function announce(
  change: QueueChange,
  store: TaskStore,
  resourceUpdated: (uri: string) => void,
  resourcesChanged: () => void,
): void {
  if (change.kind === "list_changed") {
    resourcesChanged();
    return;
  }
  for (const uri of [...STATIC_RESOURCE_URIS, ...FILTER_URIS]) resourceUpdated(uri);
  if (change.taskIds) {
    for (const id of change.taskIds) resourceUpdated(taskUri(id));
    return;
  }
  store.completeIds("task-", RECENT_TASK_URIS).then(
    (ids) => {
      for (const id of ids) resourceUpdated(taskUri(id));
    },
    (error) => log.debug({ err: error }, "could not list recent tasks for updates"),
  );
}

/**
 * For an HTTP entry (createMcpHandler): publish the process's queue changes on its listen bus,
 * `handler.notify`, where per-request instances cannot send anything themselves. When the entry
 * can tell which URIs its open listen streams asked for (`watched`), only those a change touched
 * are published, and a change to "any task" reaches exactly the watched task URIs; otherwise
 * every URI a change may touch is (see announce).
 */
export function forwardToNotifier(
  hub: ChangeHub,
  store: TaskStore,
  notifier: { resourceUpdated(uri: string): void; resourcesChanged(): void },
  watched?: () => ReadonlySet<string>,
): () => void {
  const updated = (uri: string) => notifier.resourceUpdated(uri);
  const listChanged = () => notifier.resourcesChanged();
  return hub.subscribe((change) => {
    if (!watched) {
      announce(change, store, updated, listChanged);
    } else if (change.kind === "list_changed") {
      listChanged();
    } else {
      for (const uri of watched()) if (affects(change.taskIds, uri)) updated(uri);
    }
  });
}

interface MoreNotifications {
  /** Resources with updates of their own (runs). */
  source?: UpdateSource | undefined;
  /** Calls its listener whenever `watched()` may have changed (stdio: ListenTap.onWatchedChange). */
  watchedChanges?: ((listener: () => void) => () => void) | undefined;
}

/** Wire change notifications into `server`; returns the function that stops them. */
export function wireNotifications(
  server: McpServer,
  era: "legacy" | "modern",
  hub: ChangeHub,
  store: TaskStore,
  watched?: () => ReadonlySet<string>,
  more: MoreNotifications = {},
): () => void {
  const { source } = more;
  const send = (uri: string) => {
    if (!server.isConnected()) return;
    server.server
      .sendResourceUpdated({ uri })
      .catch((error) => log.debug({ err: error, uri }, "update not sent"));
  };
  const sendListChanged = () => {
    if (!server.isConnected()) return;
    server.server
      .sendResourceListChanged()
      .catch((error) => log.debug({ err: error }, "list_changed not sent"));
  };

  /** Send updates for the watched URIs a change touched. */
  const notifyWatched = (change: QueueChange, uris: Iterable<string>) => {
    if (change.kind === "list_changed") {
      sendListChanged();
      return;
    }
    for (const uri of uris) if (affects(change.taskIds, uri)) send(uri);
  };

  let onChange: (change: QueueChange) => void;
  if (era === "legacy") {
    const subscribed = new Set<string>();
    server.server.setRequestHandler("resources/subscribe", async (request) => {
      assertSubscribable(request.params.uri, source);
      subscribed.add(request.params.uri);
      source?.sync(subscribed);
      return {};
    });
    server.server.setRequestHandler("resources/unsubscribe", async (request) => {
      subscribed.delete(request.params.uri);
      source?.sync(subscribed);
      return {};
    });
    onChange = (change) => notifyWatched(change, subscribed);
  } else if (watched) {
    onChange = (change) => notifyWatched(change, watched());
  } else {
    onChange = (change) => announce(change, store, send, sendListChanged);
  }
  let stopWatching = () => {};
  if (source && era === "modern") {
    if (watched && more.watchedChanges) {
      stopWatching = more.watchedChanges(() => source.sync(watched()));
      source.sync(watched());
    } else {
      source.sync("all");
    }
  }
  const stopHub = hub.subscribe(onChange);
  return () => {
    stopHub();
    stopWatching();
    source?.close();
  };
}
