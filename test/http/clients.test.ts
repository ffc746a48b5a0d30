/**
 * Both SDK client lines over Streamable HTTP against startHttpServer on 127.0.0.1:0: the 2025-era
 * 1.x client and the v2 client in its default (2025-era) mode, each with a session; and the v2
 * client pinned to 2026-07-28, one instance per request. Each lists and calls tools and reads
 * resources; subscribers hear changes made through another connection; progress reaches a
 * 2025-era client on its request's stream.
 */

import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import type { McpServer } from "@modelcontextprotocol/server";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { call, ok, readJson } from "../mcp/helpers.js";
import { connectV1, connectV2, Inbox, type InProcessServer, serveInProcess, updated } from "./helpers.js";

type Kind = "v1" | "v2-legacy" | "v2-modern";

async function connect(kind: Kind, url: string, name?: string) {
  if (kind === "v1") return connectV1(url, name);
  return connectV2(url, kind === "v2-modern" ? "modern" : "legacy", name);
}

describe("both client lines over Streamable HTTP", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
  async function server(options: Parameters<typeof serveInProcess>[0] = {}): Promise<InProcessServer> {
    const s = await serveInProcess(options);
    cleanups.push(() => s.close());
    return s;
  }

  it.each<Kind>(["v1", "v2-legacy", "v2-modern"])(
    "%s: lists and calls tools, reads resources, and is named in claimed_by",
    async (kind) => {
      const { url } = await server();
      const client = await connect(kind, url, `client-${kind}`);
      cleanups.push(() => client.close());
      if (kind === "v2-modern") {
        expect((client as Awaited<ReturnType<typeof connectV2>>).getNegotiatedProtocolVersion()).toBe(
          "2026-07-28",
        );
      } else expect(client.http.sessionId).toMatch(/^[0-9a-f-]{36}$/);

      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(
        expect.arrayContaining(["add_task", "claim_next_task", "list_tasks"]),
      );

      const added = await ok(client, "add_task", { description: `from ${kind}`, priority: 1 });
      expect(added.message).toBe("Created task: task-001");
      const queue = (await readJson(client, "task://queue")) as { tasks: Array<{ id: string }> };
      expect(queue.tasks.map((t) => t.id)).toEqual(["task-001"]);
      expect(await readJson(client, "task://tasks/task-001")).toMatchObject({ description: `from ${kind}` });

      const claimed = await ok(client, "claim_next_task");
      const by = (claimed.task as { claimed_by: string }).claimed_by;
      // 2025-era sessions add their session id; 2026-07-28 requests have none.
      expect(by).toMatch(
        kind === "v2-modern"
          ? new RegExp(`^client-${kind}@[^/]+:${process.pid}$`)
          : new RegExp(`^client-${kind}@[^/]+:${process.pid}/${client.http.sessionId?.slice(0, 12)}$`),
      );
      expect((await call(client, "start_task", { task_id: "task-404" })).isError).toBe(true);
    },
  );

  it.each<Kind>(["v1", "v2-legacy"])(
    "%s: a resources/subscribe session hears a change made through another connection, and stops after unsubscribe",
    async (kind) => {
      const { url } = await server();
      const watcher = await connect(kind, url, "watcher");
      cleanups.push(() => watcher.close());
      const writer = await connectV2(url, "modern", "writer");
      cleanups.push(() => writer.close());

      const inbox = new Inbox();
      if (kind === "v1") {
        (watcher as Awaited<ReturnType<typeof connectV1>>).setNotificationHandler(
          ResourceUpdatedNotificationSchema,
          (n) => inbox.push(n.method, n.params.uri),
        );
      } else {
        (watcher as Awaited<ReturnType<typeof connectV2>>).setNotificationHandler(
          "notifications/resources/updated",
          (n) => inbox.push(n.method, n.params.uri),
        );
      }
      await watcher.subscribeResource({ uri: "task://stats" });
      await watcher.subscribeResource({ uri: "task://tasks/task-001" });

      const heard = inbox.next(updated("task://tasks/task-001"));
      await ok(writer, "add_task", { description: "watched" });
      await heard;

      await watcher.unsubscribeResource({ uri: "task://tasks/task-001" });
      const mark = inbox.items.length;
      const stats = inbox.next(updated("task://stats"));
      await ok(writer, "complete_task", { task_id: "task-001", result: "done" });
      await stats;
      await call(watcher, "list_tasks"); // a round trip: anything sent with that update has arrived
      expect(inbox.items.slice(mark).map((i) => i.uri)).toEqual(["task://stats"]);
      expect(new Set(inbox.uris())).toEqual(new Set(["task://stats", "task://tasks/task-001"]));
    },
  );

  it("2026-07-28: subscriptions/listen hears another connection's changes; a reset reaches exactly the watched task", async () => {
    const { url } = await server();
    const watcher = await connectV2(url, "modern", "watcher");
    cleanups.push(() => watcher.close());
    const writer = await connectV1(url, "writer");
    cleanups.push(() => writer.close());
    await ok(writer, "add_tasks_batch", { descriptions: ["a", "b", "c"] });
    await ok(writer, "complete_task", { task_id: "task-002", result: "done" });

    const inbox = new Inbox();
    watcher.setNotificationHandler("notifications/resources/updated", (n) =>
      inbox.push(n.method, n.params.uri),
    );
    const listen = await watcher.listen({ resourceSubscriptions: ["task://stats", "task://tasks/task-002"] });
    cleanups.push(() => listen.close());

    const stats = inbox.next(updated("task://stats"));
    await ok(writer, "add_task", { description: "d" });
    await stats;

    // A reset may touch any task: the server announces the task URIs that are listened to.
    const task2 = inbox.next(updated("task://tasks/task-002"));
    await ok(writer, "reset_all_tasks", { confirm: true });
    await task2;
    await call(watcher, "list_tasks");
    expect(new Set(inbox.uris())).toEqual(new Set(["task://stats", "task://tasks/task-002"]));
  });

  it.each<Kind>(["v1", "v2-legacy", "v2-modern"])(
    "%s: progress reaches the client while its call runs",
    async (kind) => {
      // A tool that reports progress, added the way run_orchestrator is (extraTools).
      const countTo = (mcp: McpServer) =>
        mcp.registerTool(
          "count_to",
          {
            description: "Count, reporting progress.",
            inputSchema: z.object({ n: z.number().int().max(10) }),
          },
          async ({ n }, ctx) => {
            const token = ctx.mcpReq._meta?.progressToken;
            for (let i = 1; i <= n && token !== undefined; i++) {
              await ctx.mcpReq.notify({
                method: "notifications/progress",
                params: { progressToken: token, progress: i, total: n },
              });
            }
            return { content: [{ type: "text", text: `counted to ${n}` }] };
          },
        );
      const { url } = await server({ extraTools: [countTo] });
      const client = await connect(kind, url);
      cleanups.push(() => client.close());
      const seen: number[] = [];
      const onprogress = (p: { progress: number }) => seen.push(p.progress);
      const result =
        kind === "v1"
          ? await (client as Awaited<ReturnType<typeof connectV1>>).callTool(
              { name: "count_to", arguments: { n: 3 } },
              undefined,
              { onprogress },
            )
          : await (client as Awaited<ReturnType<typeof connectV2>>).callTool(
              { name: "count_to", arguments: { n: 3 } },
              { onprogress },
            );
      expect(JSON.stringify(result)).toContain("counted to 3");
      expect(seen).toEqual([1, 2, 3]);
    },
  );
});
