/**
 * Subscriptions across processes: two stdio servers share one SQLite file; a client of the first
 * subscribes, a client of the second changes the queue, and the first is told within a second.
 * 2025-era: resources/subscribe (the handler this server installs itself). 2026-07-28:
 * subscriptions/listen (served by the SDK's stdio entry, fed by sendResourceUpdated).
 */
import type { Client as ClientV2 } from "@modelcontextprotocol/client";
import type { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import {
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { call, connectV1, connectV2, ok, tempDb } from "./helpers.js";

interface Received {
  method: string;
  uri?: string;
  at: number;
}

/** Notifications as they arrive, and a way to wait for one without sleeping. */
class Inbox {
  readonly items: Received[] = [];
  private waiters: Array<{ match: (r: Received) => boolean; resolve: (r: Received) => void }> = [];

  push(method: string, uri?: string): void {
    const item: Received = { method, at: performance.now(), ...(uri === undefined ? {} : { uri }) };
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(item)) return true;
      w.resolve(item);
      return false;
    });
  }

  /** The first notification from now on that matches; rejects after `ms`. */
  next(match: (r: Received) => boolean, ms = 5_000): Promise<Received> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching notification within ${ms} ms`)), ms);
      this.waiters.push({
        match,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  uris(): string[] {
    return this.items.filter((i) => i.uri !== undefined).map((i) => i.uri as string);
  }
}

const updated = (uri: string) => (r: Received) =>
  r.method === "notifications/resources/updated" && r.uri === uri;

/** Make a change through `writer`; resolve with how long the watcher took to hear of it. */
async function timed(inbox: Inbox, match: (r: Received) => boolean, change: () => Promise<unknown>) {
  const heard = inbox.next(match);
  const start = performance.now();
  await change();
  const got = await heard;
  return got.at - start;
}

describe("subscriptions across two server processes on one store", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  it("2025-era: resources/subscribe hears another process's add and completion within a second", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const watcher: ClientV1 = await connectV1(tmp.db, "watcher");
    cleanups.push(() => watcher.close());
    const writer = await connectV1(tmp.db, "writer");
    cleanups.push(() => writer.close());

    const inbox = new Inbox();
    watcher.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) =>
      inbox.push(n.method, n.params.uri),
    );
    watcher.setNotificationHandler(ResourceListChangedNotificationSchema, (n) => inbox.push(n.method));
    await watcher.subscribeResource({ uri: "task://queue" });
    // Let the first add's own notifications arrive before watching task-001.
    await timed(inbox, updated("task://queue"), () => ok(writer, "add_task", { description: "first" }));
    await watcher.subscribeResource({ uri: "task://tasks/task-001" });

    const listChanged = inbox.next((r) => r.method === "notifications/resources/list_changed");
    const addLatency = await timed(inbox, updated("task://queue"), () =>
      ok(writer, "add_task", { description: "second" }),
    );
    expect(addLatency).toBeLessThan(1_000);
    await listChanged; // task-002 joined the listed (pending) tasks
    await call(watcher, "list_tasks"); // a round trip: anything sent with that update has arrived
    expect(inbox.uris()).not.toContain("task://tasks/task-001"); // task-002 changed, not task-001

    const doneLatency = await timed(inbox, updated("task://tasks/task-001"), () =>
      ok(writer, "complete_task", { task_id: "task-001", result: "done" }),
    );
    expect(doneLatency).toBeLessThan(1_000);

    await watcher.unsubscribeResource({ uri: "task://queue" });
    const mark = inbox.items.length;
    await timed(inbox, updated("task://tasks/task-001"), () =>
      ok(writer, "retry_task", { task_id: "task-001", feedback: "again" }),
    );
    await call(watcher, "list_tasks");
    expect(inbox.items.slice(mark).map((r) => r.uri)).not.toContain("task://queue");
    // Only what was subscribed to ever arrived.
    expect(new Set(inbox.uris())).toEqual(new Set(["task://queue", "task://tasks/task-001"]));
  });

  it("2025-era: a malformed task:// URI is an error; another scheme's URI is accepted", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const client = await connectV1(tmp.db);
    cleanups.push(() => client.close());
    await expect(client.subscribeResource({ uri: "task://qeue" })).rejects.toThrow(
      /no such resource here.*task:\/\/queue/,
    );
    await expect(client.subscribeResource({ uri: "test://watched-resource" })).resolves.toEqual({});
  });

  it("2026-07-28: subscriptions/listen hears another process's add and completion within a second", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const watcher: ClientV2 = await connectV2(tmp.db, "watcher");
    cleanups.push(() => watcher.close());
    const writer = await connectV2(tmp.db, "writer");
    cleanups.push(() => writer.close());
    expect(watcher.getNegotiatedProtocolVersion()).toBe("2026-07-28");

    const inbox = new Inbox();
    watcher.setNotificationHandler("notifications/resources/updated", (n) =>
      inbox.push(n.method, n.params.uri),
    );
    watcher.setNotificationHandler("notifications/resources/list_changed", (n) => inbox.push(n.method));
    const subscription = await watcher.listen({
      resourceSubscriptions: ["task://stats", "task://tasks/task-001"],
      resourcesListChanged: true,
    });
    cleanups.push(() => subscription.close());
    expect(subscription.honoredFilter).toEqual({
      resourceSubscriptions: ["task://stats", "task://tasks/task-001"],
      resourcesListChanged: true,
    });
    // Creating task-001 touches its own URI (and the stats).
    await timed(inbox, updated("task://tasks/task-001"), () =>
      ok(writer, "add_task", { description: "first" }),
    );

    const listChanged = inbox.next((r) => r.method === "notifications/resources/list_changed");
    const addLatency = await timed(inbox, updated("task://stats"), () =>
      ok(writer, "add_task", { description: "second" }),
    );
    expect(addLatency).toBeLessThan(1_000);
    await listChanged;

    const doneLatency = await timed(inbox, updated("task://tasks/task-001"), () =>
      ok(writer, "complete_task", { task_id: "task-001", result: "done" }),
    );
    expect(doneLatency).toBeLessThan(1_000);
    await call(watcher, "list_tasks");
    expect(new Set(inbox.uris())).toEqual(new Set(["task://stats", "task://tasks/task-001"]));
  });

  it("a reset, which may touch any task, reaches per-task subscribers in both eras; a closed listen hears nothing", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const legacy: ClientV1 = await connectV1(tmp.db, "legacy-watcher");
    cleanups.push(() => legacy.close());
    const modern: ClientV2 = await connectV2(tmp.db, "modern-watcher");
    cleanups.push(() => modern.close());
    const writer = await connectV1(tmp.db, "writer");
    cleanups.push(() => writer.close());
    await ok(writer, "add_tasks_batch", { descriptions: ["a", "b", "c"] });
    await ok(writer, "complete_task", { task_id: "task-002", result: "done" });

    const legacyInbox = new Inbox();
    legacy.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) =>
      legacyInbox.push(n.method, n.params.uri),
    );
    const modernInbox = new Inbox();
    modern.setNotificationHandler("notifications/resources/updated", (n) =>
      modernInbox.push(n.method, n.params.uri),
    );
    await legacy.subscribeResource({ uri: "task://tasks/task-002" });
    const listen = await modern.listen({ resourceSubscriptions: ["task://tasks/task-002"] });

    const heardLegacy = legacyInbox.next(updated("task://tasks/task-002"));
    const heardModern = modernInbox.next(updated("task://tasks/task-002"));
    await ok(writer, "reset_all_tasks", { confirm: true });
    await Promise.all([heardLegacy, heardModern]);

    const other = await modern.listen({ resourceSubscriptions: ["task://stats"] });
    cleanups.push(() => other.close());
    await listen.close();
    const mark = modernInbox.items.length;
    const heardStats = modernInbox.next(updated("task://stats"));
    await ok(writer, "complete_task", { task_id: "task-002", result: "again" });
    await heardStats; // the change reached the modern watcher; the closed listen must not carry it
    await call(modern, "list_tasks");
    expect(modernInbox.items.slice(mark).map((r) => r.uri)).toEqual(["task://stats"]);
  });
});
