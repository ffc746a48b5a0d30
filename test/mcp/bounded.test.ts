/**
 * No response over about 40 KB, whatever the queue holds: a task with every text field at its
 * limit (in 4-byte emoji and 6-byte JSON escapes), 99 feedback entries, and 600 tasks with
 * 20,000-character descriptions. Cut fields say how to read the rest, and reading them with
 * get_task's field/offset gives back exactly what was stored. In-process, in both eras.
 */

import type { Client as ClientV2 } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { feedbackText } from "../../src/mcp/views.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import type { TaskStore } from "../../src/store/types.js";
import { connectInProcess, type Era } from "./helpers.js";

const MAX_BYTES = 40 * 1024;
const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

const DESCRIPTION = "😀".repeat(10_000); // 20,000 UTF-16 units, 40,000 bytes
const CRITERIA = "\u0001".repeat(20_000); // 120,000 bytes once JSON-escaped
const RESULT = "é".repeat(100_000);

let store: TaskStore;

beforeAll(async () => {
  store = openSqliteStore({ path: ":memory:" });
  await store.create({ description: DESCRIPTION, criteria: CRITERIA, max_attempts: 100 });
  for (let attempt = 1; attempt <= 99; attempt++) {
    await store.start("task-001", { workerId: "w" });
    await store.retry("task-001", `${attempt}: ${"f".repeat(4_990)}`);
  }
  await store.start("task-001", { workerId: "w" });
  await store.complete("task-001", RESULT);
  for (let batch = 0; batch < 2; batch++) {
    await store.createBatch(
      Array.from({ length: 300 }, (_, i) => ({ description: `${batch}-${i} ${"d".repeat(19_990)}` })),
    );
  }
});
afterAll(async () => {
  await store.close();
});

describe.each<Era>(["legacy", "modern"])("bounded responses (%s era)", (era) => {
  let client: ClientV2;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ client, close } = await connectInProcess(era, store));
  });
  afterAll(async () => close());

  const tool = async (name: string, args: Record<string, unknown> = {}) => {
    const result = await client.callTool({ name, arguments: args });
    expect(size(result), name).toBeLessThan(MAX_BYTES);
    expect(result.isError, JSON.stringify(result.content).slice(0, 300)).not.toBe(true);
    return result.structuredContent as Record<string, unknown>;
  };

  it("cuts a huge task to fit, says so, and reads every field back whole with field/offset", async () => {
    const { task } = (await tool("get_task", { task_id: "task-001" })) as {
      task: {
        truncated: Record<string, unknown>;
        note: string;
        feedback: unknown[];
        feedback_omitted: number;
      };
    };
    expect(Object.keys(task.truncated).sort()).toEqual(["criteria", "description", "feedback", "result"]);
    expect(task.note).toContain('"field"');
    expect(task.feedback.length + task.feedback_omitted).toBe(99);

    const stored = await store.get("task-001");
    const expected = {
      description: DESCRIPTION,
      criteria: CRITERIA,
      result: RESULT,
      feedback: feedbackText(stored.feedback),
    };
    for (const [field, text] of Object.entries(expected)) {
      let read = "";
      let offset: number | null = 0;
      let calls = 0;
      while (offset !== null) {
        const { chunk } = (await tool("get_task", { task_id: "task-001", field, offset })) as {
          chunk: { text: string; next_offset: number | null };
        };
        read += chunk.text;
        offset = chunk.next_offset;
        calls++;
      }
      expect(read === text, field).toBe(true);
      expect(calls, field).toBeGreaterThan(1);
    }
  });

  it("pages through 601 big tasks under the size limit, each exactly once", async () => {
    const seen: string[] = [];
    let cursor: string | null | undefined;
    let pages = 0;
    do {
      const page = (await tool("list_tasks", { limit: 500, ...(cursor ? { cursor } : {}) })) as {
        tasks: Array<{ id: string }>;
        total: number;
        nextCursor: string | null;
      };
      expect(page.total).toBe(601);
      seen.push(...page.tasks.map((t) => t.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(2); // 500 big tasks do not fit in one response
    expect(seen).toEqual(Array.from({ length: 601 }, (_, i) => `task-${String(i + 1).padStart(3, "0")}`));
  });

  it("keeps the next/claim answers under the limit", async () => {
    await tool("get_next_task");
  });

  it("bounds every resource, with the total and how many were left out", async () => {
    for (const uri of [
      "task://queue",
      "task://current",
      "task://stats",
      "task://pending",
      "task://completed",
      "task://failed",
      "task://filter/pending",
      "task://tasks/task-001",
    ]) {
      const result = await client.readResource({ uri });
      expect(size(result), uri).toBeLessThan(MAX_BYTES);
    }
    const read = async (uri: string) =>
      JSON.parse(((await client.readResource({ uri })).contents[0] as { text: string }).text) as {
        total: number;
        shown: number;
        omitted: number;
        tasks: unknown[];
        note?: string;
      };
    const queue = await read("task://queue");
    expect(queue.total).toBe(601);
    expect(queue.shown).toBe(queue.tasks.length);
    expect(queue.shown).toBeLessThanOrEqual(100);
    expect(queue.omitted).toBe(601 - queue.shown);
    expect(queue.note).toContain("list_tasks");
    const pending = await read("task://filter/pending");
    expect(pending.total).toBe(600);
    expect(pending.omitted).toBe(600 - pending.shown);
    const completed = await read("task://completed");
    expect(completed.tasks).toEqual([
      { id: "task-001", description: `${"😀".repeat(100)}…`, result: `${"é".repeat(200)}…` },
    ]);

    const listed = await client.listResources();
    expect(size(listed)).toBeLessThan(MAX_BYTES);
    expect(listed.resources.filter((r) => r.uri.startsWith("task://tasks/")).length).toBeLessThanOrEqual(50);
  });
});
