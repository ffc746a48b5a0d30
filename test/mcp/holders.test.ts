/**
 * Regression: an agent whose claim passed to another worker must not finish the task over the
 * new holder's head (the finish tools pass the caller's worker id).
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { type AnyClient, assertBuilt, call, connect, ok, tempDb } from "./helpers.js";

let tmp: ReturnType<typeof tempDb>;
const clients: AnyClient[] = [];
beforeEach(() => {
  assertBuilt();
  tmp = tempDb();
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  tmp.cleanup();
});

it("a task claimed by one client cannot be completed, failed or retried from another", async () => {
  const a = await connect("legacy", tmp.db, "agent-a");
  const b = await connect("modern", tmp.db, "agent-b");
  clients.push(a, b);
  await ok(a, "add_task", { description: "Write a haiku about MCP" });
  await ok(a, "claim_next_task");
  for (const [tool, args] of [
    ["complete_task", { result: "stolen" }],
    ["fail_task", { reason: "stolen" }],
    ["retry_task", { feedback: "stolen" }],
  ] as const) {
    const reply = await call(b, tool, { task_id: "task-001", ...args });
    expect(reply.isError).toBe(true);
    expect(reply.text).toMatch(/claimed by agent-a/);
  }
  // The holder finishes it; and a pending task may still be completed straight away by anyone.
  await ok(a, "complete_task", { task_id: "task-001", result: "five seven five" });
  await ok(b, "add_task", { description: "second" });
  await ok(b, "complete_task", { task_id: "task-002", result: "done" });
  const store = openSqliteStore({ path: tmp.db });
  try {
    expect(await store.get("task-001")).toMatchObject({ status: "completed", result: "five seven five" });
  } finally {
    await store.close();
  }
});
