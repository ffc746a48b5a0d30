/**
 * The server keeps answering when things go wrong underneath it, and the lease sweep returns the
 * tasks of workers that went away. In-process, through the same stdio entry and factory.
 */
import { describe, expect, it, vi } from "vitest";
import { startLeaseSweep } from "../../src/mcp/lease-sweep.js";
import { errorResult } from "../../src/mcp/results.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { connectInProcess, type Era } from "./helpers.js";

describe.each<Era>(["legacy", "modern"])("when the store fails under the server (%s era)", (era) => {
  it("answers tool calls with a tool error (a closed store is permanent: trying again will not help) and keeps serving the rest", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    const { client, close } = await connectInProcess(era, store);
    try {
      await client.callTool({ name: "add_task", arguments: { description: "before" } });
      await store.close();
      const failed = await client.callTool({ name: "add_task", arguments: { description: "after" } });
      expect(failed.isError).toBe(true);
      expect(JSON.stringify(failed.content)).toMatch(
        /store is closed\. Trying the same call again will not help/,
      );
      const read = await client.callTool({ name: "list_tasks", arguments: {} });
      expect(read.isError).toBe(true);
      await expect(client.readResource({ uri: "task://stats" })).rejects.toThrow(/closed/);
      const prompt = await client.getPrompt({ name: "process_queue", arguments: {} });
      expect(prompt.messages).toHaveLength(1);
      expect((await client.listTools()).tools.length).toBeGreaterThan(10);
    } finally {
      await close();
    }
  });
});

describe("errors that are not the domain's", () => {
  it("become a tool error that names the tool, not a crash", () => {
    const result = errorResult("add_task", new TypeError("boom"));
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([
      { type: "text", text: "Unexpected error in add_task: boom. Try again; if it persists, report it." },
    ]);
  });
});

describe("the lease sweep", () => {
  it("puts a task whose worker stopped renewing back in line, without anyone claiming", async () => {
    const store = openSqliteStore({ path: ":memory:" });
    const stop = startLeaseSweep(store, 20);
    try {
      await store.create({ description: "abandoned" });
      const claimed = await store.claimNext({ workerId: "gone", leaseMs: 50 });
      expect(claimed?.status).toBe("in_progress");
      await vi.waitFor(async () => expect((await store.get("task-001")).status).toBe("pending"), {
        timeout: 5_000,
        interval: 20,
      });
      expect((await store.get("task-001")).feedback.at(-1)?.text).toMatch(/lease held by gone expired/);
    } finally {
      stop();
      await store.close();
    }
  });
});
