/**
 * Stopping the HTTP server (what SIGTERM does): no new connections, the calls in flight finish
 * and are answered, only then do the sessions and listen streams close and close() resolve.
 * A tool that waits on a gate the test opens holds a call in flight deterministically.
 */
import type { McpServer } from "@modelcontextprotocol/server";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { startHttpServer } from "../../src/transports/http.js";
import { connectV1, connectV2, INITIALIZE, postHeaders, raw } from "./helpers.js";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("close(): the drain", () => {
  const cleanups: Array<() => Promise<unknown> | undefined> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  it.each(["modern", "legacy"] as const)(
    "a %s call in flight is answered before close() resolves; new connections are refused meanwhile",
    async (era) => {
      const store = openSqliteStore({ path: ":memory:" });
      cleanups.push(() => store.close());
      const entered = deferred();
      const gate = deferred();
      const hold = (mcp: McpServer) =>
        mcp.registerTool(
          "hold",
          { description: "Wait for the gate.", inputSchema: z.object({}) },
          async () => {
            entered.resolve();
            await gate.promise;
            return { content: [{ type: "text", text: "held and answered" }] };
          },
        );
      const running = await startHttpServer({ store, host: "127.0.0.1", port: 0, extraTools: [hold] });
      cleanups.push(() => running.close());
      const client = era === "modern" ? await connectV2(running.url, "modern") : await connectV1(running.url);
      cleanups.push(() => client.close().catch(() => {}));
      const watcher = await connectV1(running.url, "watcher"); // a session with its stream open
      cleanups.push(() => watcher.close().catch(() => {}));

      const call = client.callTool({ name: "hold", arguments: {} });
      await entered.promise;
      let closed = false;
      const closing = running.close().then(() => {
        closed = true;
      });
      await expect(raw(running.url, { headers: postHeaders(), body: INITIALIZE })).rejects.toThrow(
        /ECONNREFUSED/,
      );
      expect(closed).toBe(false); // still waiting for the call

      gate.resolve();
      expect(JSON.stringify(await call)).toContain("held and answered");
      await closing;
      expect(closed).toBe(true);
    },
  );
});
