/**
 * Every class of bad call is a tool error (isError) whose message says what to do, changes
 * nothing in the store, and leaves the server answering. Through both client lines over stdio.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnyClient, call, connect, type Era, ok, tempDb } from "./helpers.js";

interface BadCall {
  name: string;
  tool: string;
  args: Record<string, unknown>;
  /** What the message must say (a model acts on it). */
  says: RegExp;
}

const BAD_CALLS: BadCall[] = [
  // wrong types
  {
    name: "description not a string",
    tool: "add_task",
    args: { description: 42 },
    says: /description must be a string/,
  },
  {
    name: "priority not a number",
    tool: "add_task",
    args: { description: "x", priority: "high" },
    says: /priority/,
  },
  {
    name: "priority fractional",
    tool: "add_task",
    args: { description: "x", priority: 2.5 },
    says: /whole number/,
  },
  { name: "task_id not a string", tool: "get_task", args: { task_id: 7 }, says: /task_id must be a string/ },
  { name: "missing task_id", tool: "complete_task", args: { result: "r" }, says: /task_id/ },
  {
    name: "descriptions not a list",
    tool: "add_tasks_batch",
    args: { descriptions: "a,b" },
    says: /descriptions/,
  },
  // out of range
  {
    name: "priority 0",
    tool: "add_task",
    args: { description: "x", priority: 0 },
    says: /from 1 \(highest\) to 10/,
  },
  {
    name: "priority 11",
    tool: "add_task",
    args: { description: "x", priority: 11 },
    says: /from 1 \(highest\) to 10/,
  },
  {
    name: "max_attempts 101",
    tool: "add_task",
    args: { description: "x", max_attempts: 101 },
    says: /1 to 100/,
  },
  { name: "limit 501", tool: "list_tasks", args: { limit: 501 }, says: /limit must be from 1 to 500/ },
  { name: "limit 0", tool: "list_tasks", args: { limit: 0 }, says: /limit must be from 1 to 500/ },
  { name: "lease 1 s", tool: "claim_next_task", args: { lease_seconds: 1 }, says: /lease_seconds/ },
  { name: "empty description", tool: "add_task", args: { description: "   " }, says: /must not be empty/ },
  { name: "empty batch", tool: "add_tasks_batch", args: { descriptions: [] }, says: /1 to 500/ },
  {
    name: "both batch forms",
    tool: "add_tasks_batch",
    args: { descriptions: ["a"], tasks: [{ description: "b" }] },
    says: /either descriptions .* or tasks/,
  },
  {
    name: "batch cycle",
    tool: "add_tasks_batch",
    args: {
      tasks: [
        { description: "a", depends_on: ["#2"] },
        { description: "b", depends_on: ["#1"] },
      ],
    },
    says: /cycle/,
  },
  // unknown ids
  {
    name: "unknown id",
    tool: "start_task",
    args: { task_id: "task-042" },
    says: /No task task-042\. Pending tasks: task-001/,
  },
  {
    name: "malformed id",
    tool: "complete_task",
    args: { task_id: "banana", result: "r" },
    says: /No task banana/,
  },
  {
    name: "unknown dependency",
    tool: "add_task",
    args: { description: "x", depends_on: ["task-999"] },
    says: /no task task-999/,
  },
  {
    name: "one unknown id in a batch",
    tool: "complete_tasks_batch",
    args: { task_ids: ["task-001", "task-777"], result: "r" },
    says: /No task task-777/,
  },
  // invalid transitions
  {
    name: "retry a pending task",
    tool: "retry_task",
    args: { task_id: "task-001" },
    says: /task-001 is pending/,
  },
  {
    name: "complete a completed task",
    tool: "complete_task",
    args: { task_id: "task-002", result: "again" },
    says: /already completed.*retry_task/,
  },
  {
    name: "fail a completed task",
    tool: "fail_task",
    args: { task_id: "task-002", reason: "why" },
    says: /task-002 is completed/,
  },
  {
    name: "start a blocked task",
    tool: "start_task",
    args: { task_id: "task-003" },
    says: /waits for task-001/,
  },
  // oversized text
  {
    name: "description over 20,000",
    tool: "add_task",
    args: { description: "x".repeat(20_001) },
    says: /too long: at most 20,000/,
  },
  {
    name: "result over 100,000",
    tool: "complete_task",
    args: { task_id: "task-001", result: "r".repeat(100_001) },
    says: /too long: at most 100,000/,
  },
  {
    name: "feedback over 20,000",
    tool: "retry_task",
    args: { task_id: "task-002", feedback: "f".repeat(20_001) },
    says: /too long/,
  },
  // unknown status filter, bad cursors
  {
    name: "unknown status",
    tool: "list_tasks",
    args: { status: "done" },
    says: /status must be one of: pending, in_progress, completed, failed/,
  },
  {
    name: "garbage cursor",
    tool: "list_tasks",
    args: { cursor: "not-a-cursor" },
    says: /cursor is not valid|That cursor is not valid/,
  },
  {
    name: "cursor of another filter",
    tool: "list_tasks",
    args: { status: "failed", cursor: "CURSOR_FOR_PENDING" },
    says: /belongs to a listing with status pending/,
  },
  // reset without confirm
  {
    name: "reset without confirm",
    tool: "reset_all_tasks",
    args: {},
    says: /Nothing was reset.*confirm: true/,
  },
  {
    name: "reset with confirm false",
    tool: "reset_all_tasks",
    args: { confirm: false },
    says: /Nothing was reset/,
  },
];

describe.each<Era>(["legacy", "modern"])("bad calls (%s era, real stdio)", (era) => {
  let client: AnyClient;
  let tmp: ReturnType<typeof tempDb>;
  let pendingCursor: string;

  const snapshot = async () => JSON.stringify(await ok(client, "list_tasks", { limit: 500 }));

  beforeAll(async () => {
    tmp = tempDb();
    client = await connect(era, tmp.db);
    // task-001 pending, task-002 completed, task-003 pending and blocked by task-001, task-004 pending.
    await ok(client, "add_task", { description: "one" });
    await ok(client, "add_task", { description: "two" });
    await ok(client, "complete_task", { task_id: "task-002", result: "done" });
    await ok(client, "add_task", { description: "three", depends_on: ["task-001"] });
    await ok(client, "add_task", { description: "four" });
    pendingCursor = String((await ok(client, "list_tasks", { status: "pending", limit: 1 })).nextCursor);
  });
  afterAll(async () => {
    await client?.close();
    tmp?.cleanup();
  });

  it.each(BAD_CALLS)("$name: a clear tool error, nothing changed", async ({ tool, args, says }) => {
    const before = await snapshot();
    const fixed = JSON.parse(JSON.stringify(args).replace("CURSOR_FOR_PENDING", pendingCursor));
    const reply = await call(client, tool, fixed);
    expect(reply.isError).toBe(true);
    expect(reply.text).toMatch(says);
    expect(reply.structured).toBeUndefined();
    expect(await snapshot()).toBe(before);
  });

  it("keeps answering after all of them", async () => {
    expect((await call(client, "add_task", { description: "still here" })).text).toBe(
      "Created task: task-005",
    );
  });

  it("answers an unknown tool and an unknown resource with protocol errors, and keeps answering", async () => {
    await expect(client.callTool({ name: "no_such_tool", arguments: {} })).rejects.toThrow(
      /no_such_tool not found/,
    );
    await expect(client.readResource({ uri: "task://filter/done" })).rejects.toThrow(/Unknown status "done"/);
    await expect(client.readResource({ uri: "task://tasks/task-404" })).rejects.toThrow(/No task task-404/);
    await expect(client.readResource({ uri: "task://nothing" })).rejects.toThrow();
    expect((await call(client, "get_task", { task_id: "task-005" })).isError).toBe(false);
  });
});
