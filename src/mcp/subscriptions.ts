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

function assertSubscribable(uri: string): void {
  const known =
    (STATIC_RESOURCE_URIS as readonly string[]).includes(uri) ||
    FILTER_URIS.includes(uri) ||
    /^task:\/\/tasks\/task-\d{1,15}$/.test(uri);
  if (!known) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Cannot subscribe to ${uri.slice(0, 100)}: not a resource of this server. ` +
        `Use ${STATIC_RESOURCE_URIS.join(", ")}, ${FILTER_URI_PREFIX}{status} or ${TASK_URI_PREFIX}{id}.`,
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

/** Wire change notifications into `server`; returns the function that stops them. */
export function wireNotifications(
  server: McpServer,
  era: "legacy" | "modern",
  hub: ChangeHub,
  store: TaskStore,
  watched?: () => ReadonlySet<string>,
): () => void {
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
      assertSubscribable(request.params.uri);
      subscribed.add(request.params.uri);
      return {};
    });
    server.server.setRequestHandler("resources/unsubscribe", async (request) => {
      subscribed.delete(request.params.uri);
      return {};
    });
    onChange = (change) => notifyWatched(change, subscribed);
  } else if (watched) {
    onChange = (change) => notifyWatched(change, watched());
  } else {
    onChange = (change) => announce(change, store, send, sendListChanged);
  }
  return hub.subscribe(onChange);
}
