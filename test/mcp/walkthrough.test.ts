/**
 * The brief's own walk-through ("Step 6: Test with Claude"), as Claude Desktop would do it: a
 * 2025-era client over stdio adds the haiku task, reads the queue, gets the next task, completes
 * it with the haiku, and the stats show it completed. Then the same on the current era.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type AnyClient, call, connect, type Era, readJson, tempDb } from "./helpers.js";

const HAIKU = "Servers speak in streams\nTools and resources align\nContext finds its home";

describe.each<Era>(["legacy", "modern"])("the brief's walk-through (%s era)", (era) => {
  let client: AnyClient | undefined;
  let tmp: ReturnType<typeof tempDb> | undefined;
  afterEach(async () => {
    await client?.close();
    tmp?.cleanup();
  });

  it("adds, lists, gets next, completes, and shows it completed", async () => {
    tmp = tempDb();
    client = await connect(era, tmp.db);

    const added = await call(client, "add_task", { description: "Write a haiku about MCP" });
    expect(added.text).toBe("Created task: task-001");
    expect(added.structured?.message).toBe("Created task: task-001");

    const queue = (await readJson(client, "task://queue")) as { tasks: Array<Record<string, unknown>> };
    expect(queue.tasks).toEqual([
      { id: "task-001", description: "Write a haiku about MCP", status: "pending", attempts: 0, priority: 5 },
    ]);

    const next = await call(client, "get_next_task");
    expect(next.structured?.task).toMatchObject({
      id: "task-001",
      description: "Write a haiku about MCP",
      attempts: 0,
      max_attempts: 3,
    });

    const done = await call(client, "complete_task", { task_id: "task-001", result: HAIKU });
    expect(done.text).toBe("Completed task: task-001");

    expect(await readJson(client, "task://stats")).toMatchObject({
      total: 1,
      pending: 0,
      completed: 1,
      completion_rate: 1,
    });
    const completed = (await readJson(client, "task://completed")) as { tasks: Array<{ result: string }> };
    expect(completed.tasks[0]?.result).toBe(HAIKU);
    expect((await call(client, "get_next_task")).text).toBe("No pending tasks");
  });
});
