/**
 * From the store's change feed to MCP notifications. One ChangeHub per process listens to
 * `store.onChange` (which also reports other processes' commits on the same store) and hands
 * every server instance a coalesced QueueChange: which tasks changed and whether the set of
 * listed resources changed. Each instance turns that into `notifications/resources/updated`
 * and `notifications/resources/list_changed` for its own subscribers (see subscriptions.ts);
 * an HTTP entry can publish the same events on its listen bus with `resourceUrisFor`.
 */

import { Emitter } from "../emitter.js";
import { log } from "../log.js";
import type { ChangeEvent, TaskStore } from "../store/types.js";

/**
 * What a server instance hears: tasks changed (so resources showing them did), or the set of
 * tasks resources/list shows changed.
 */
export type QueueChange =
  | {
      kind: "updated";
      /** The tasks that changed; null when any task may have (a reset, a large delete, a gap in the feed). */
      taskIds: string[] | null;
    }
  | { kind: "list_changed" };

type QueueChangeListener = (change: QueueChange) => void;

/** The static resources; every change may touch any of them. */
export const STATIC_RESOURCE_URIS = [
  "task://queue",
  "task://current",
  "task://stats",
  "task://pending",
  "task://completed",
  "task://failed",
] as const;

export const FILTER_URI_PREFIX = "task://filter/";
export const TASK_URI_PREFIX = "task://tasks/";

export const taskUri = (id: string): string => `${TASK_URI_PREFIX}${id}`;

/** Runs (`task://runs/{id}`) change apart from the queue: their updates come from the run registry. */
export const RUN_URI_PREFIX = "task://runs/";

export const runUri = (id: string): string => `${RUN_URI_PREFIX}${id}`;

/** Whether tasks changing can have touched the resource at `uri`. */
export function affects(taskIds: string[] | null, uri: string): boolean {
  if (uri.startsWith(RUN_URI_PREFIX)) return false;
  if (!uri.startsWith(TASK_URI_PREFIX)) return true;
  return taskIds === null || taskIds.includes(uri.slice(TASK_URI_PREFIX.length));
}

/** How many in-progress and pending tasks resources/list shows as task://tasks/{id}. */
const LISTED_PER_STATUS = 25;

/** The tasks resources/list shows: the first in-progress and pending ones (a bounded set). */
export async function listedTasks(store: TaskStore) {
  const [running, pending] = await Promise.all([
    store.list({ status: "in_progress", limit: LISTED_PER_STATUS }),
    store.list({ status: "pending", limit: LISTED_PER_STATUS }),
  ]);
  return [...running.tasks, ...pending.tasks];
}

export interface ChangeHubOptions {
  /** Changes arriving within this window are delivered as one update (default 20 ms). */
  coalesceMs?: number;
  /**
   * How often at most the listed set is recomputed to decide on list_changed (default 250 ms):
   * it costs two queries, and a burst of writes should not pay them per commit.
   */
  listCheckMs?: number;
}

export class ChangeHub {
  private readonly listeners = new Emitter<QueueChange>((error) =>
    log.warn({ err: error }, "a change listener failed"),
  );
  private unsubscribeStore: (() => void) | null = null;
  private pendingIds: Set<string> | null = new Set();
  private pendingAny = false;
  private updateTimer: NodeJS.Timeout | null = null;
  private listTimer: NodeJS.Timeout | null = null;
  private listedSignature: string | null = null;
  /** List checks run one at a time, so each compares against the one before it. */
  private checking: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly coalesceMs: number;
  private readonly listCheckMs: number;

  constructor(
    private readonly store: TaskStore,
    options: ChangeHubOptions = {},
  ) {
    this.coalesceMs = options.coalesceMs ?? 20;
    this.listCheckMs = options.listCheckMs ?? 250;
  }

  /** Listen for queue changes; the store's feed is watched only while someone listens. */
  subscribe(listener: QueueChangeListener): () => void {
    if (this.closed) return () => {};
    const off = this.listeners.on(listener);
    if (!this.unsubscribeStore) {
      this.unsubscribeStore = this.store.onChange((event) => this.onStoreChange(event));
      this.checking = this.checking
        .then(() => this.checkListed())
        .then(
          () => {},
          () => {},
        );
    }
    return () => {
      off();
      if (this.listeners.size === 0 && this.unsubscribeStore) {
        this.unsubscribeStore();
        this.unsubscribeStore = null;
        this.listedSignature = null;
      }
    };
  }

  close(): void {
    this.closed = true;
    if (this.updateTimer) clearTimeout(this.updateTimer);
    if (this.listTimer) clearTimeout(this.listTimer);
    this.updateTimer = null;
    this.listTimer = null;
    this.unsubscribeStore?.();
    this.unsubscribeStore = null;
    this.listeners.clear();
  }

  private onStoreChange(event: ChangeEvent): void {
    this.pendingAny = true;
    if (event.taskIds === null) this.pendingIds = null;
    else if (this.pendingIds) for (const id of event.taskIds) this.pendingIds.add(id);
    if (!this.updateTimer) {
      this.updateTimer = setTimeout(() => this.flushUpdates(), this.coalesceMs);
      this.updateTimer.unref();
    }
    if (!this.listTimer) {
      this.listTimer = setTimeout(() => {
        this.listTimer = null;
        this.checking = this.checking.then(async () => {
          if (await this.checkListed()) this.emit({ kind: "list_changed" });
        });
      }, this.listCheckMs);
      this.listTimer.unref();
    }
  }

  private flushUpdates(): void {
    this.updateTimer = null;
    if (!this.pendingAny || this.closed) return;
    const ids = this.pendingIds;
    this.pendingIds = new Set();
    this.pendingAny = false;
    this.emit({ kind: "updated", taskIds: ids === null ? null : [...ids] });
  }

  private emit(change: QueueChange): void {
    if (this.closed) return;
    this.listeners.emit(change);
  }

  /** Recompute the listed task set; true when it differs from the last one seen. */
  private async checkListed(): Promise<boolean> {
    try {
      const tasks = await listedTasks(this.store);
      const signature = tasks.map((t) => t.id).join(",");
      const changed = this.listedSignature !== null && signature !== this.listedSignature;
      this.listedSignature = signature;
      return changed;
    } catch (error) {
      log.warn({ err: error }, "could not compute the listed resources; sending list_changed anyway");
      return true;
    }
  }
}
