/**
 * The whole MCP surface, through both client lines over real stdio: a 2025-era client (SDK 1.x,
 * as Claude Desktop speaks) and a current one pinned to 2026-07-28. Each lists and calls every
 * tool, reads every resource and template, gets the prompts and completes template arguments.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnyClient, call, connect, type Era, ok, readJson, tempDb } from "./helpers.js";

const TOOLS = [
  "add_task",
  "start_task",
  "complete_task",
  "fail_task",
  "retry_task",
  "get_next_task",
  "claim_next_task",
  "get_task",
  "list_tasks",
  "update_task",
  "delete_task",
  "clear_completed",
  "reset_all_tasks",
  "add_tasks_batch",
  "complete_tasks_batch",
  "show_board",
  "run_orchestrator",
];

const READ_ONLY = ["get_next_task", "get_task", "list_tasks", "show_board"];
const DESTRUCTIVE = ["clear_completed", "reset_all_tasks", "delete_task", "run_orchestrator"];
/** Only run_orchestrator reaches outside the queue: it runs the configured agent. */
const OPEN_WORLD = ["run_orchestrator"];

describe.each<Era>(["legacy", "modern"])("the MCP surface (%s era, real stdio)", (era) => {
  let client: AnyClient;
  let tmp: ReturnType<typeof tempDb>;

  beforeAll(async () => {
    tmp = tempDb();
    client = await connect(era, tmp.db);
  });
  afterAll(async () => {
    await client?.close();
    tmp?.cleanup();
  });

  it("is the ralph-workflow server", () => {
    expect(client.getServerVersion()?.name).toBe("ralph-workflow");
  });

  it("lists every tool with a description, described inputs, an outputSchema and its hints", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOLS].sort());
    for (const tool of tools) {
      expect(tool.description, tool.name).toBeTruthy();
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.annotations, `${tool.name} states its hints`).toBeTruthy();
      expect(tool.outputSchema, tool.name).toBeTruthy();
      for (const [field, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        expect((schema as { description?: string }).description, `${tool.name}.${field}`).toBeTruthy();
      }
      const a = tool.annotations ?? {};
      // Absent hints take the spec's defaults: readOnly false, destructive true, idempotent false,
      // open world true; destructive and idempotent mean nothing on a read-only tool.
      expect(a.readOnlyHint ?? false, tool.name).toBe(READ_ONLY.includes(tool.name));
      if (READ_ONLY.includes(tool.name)) {
        expect(a.destructiveHint, tool.name).toBeUndefined();
        expect(a.idempotentHint, tool.name).toBeUndefined();
      } else {
        expect(a.destructiveHint ?? true, tool.name).toBe(DESTRUCTIVE.includes(tool.name));
      }
      expect(a.openWorldHint ?? true, tool.name).toBe(OPEN_WORLD.includes(tool.name));
    }
    expect(tools.find((t) => t.name === "reset_all_tasks")?.annotations?.idempotentHint).toBe(true);
  });

  it("keeps tools/list under 9,000 bytes (PRODUCT.md)", async () => {
    const size = Buffer.byteLength(JSON.stringify(await client.listTools()));
    expect(size).toBeLessThan(9_000);
  });

  it("calls every tool, each answering with the brief's sentence as text and as structuredContent.message", async () => {
    const said = async (name: string, args: Record<string, unknown> = {}) => {
      const reply = await call(client, name, args);
      expect(reply.isError, `${name}: ${reply.text}`).toBe(false);
      const message = String(reply.structured?.message);
      expect(reply.text.startsWith(message), name).toBe(true);
      return { message, structured: reply.structured ?? {} };
    };

    expect(
      (await said("add_task", { description: "first", priority: 2, criteria: "it is first" })).message,
    ).toBe("Created task: task-001");
    const batch = await said("add_tasks_batch", { descriptions: ["second", "third", "fourth"] });
    expect(batch.message).toBe("Created 3 tasks: task-002, task-003, task-004");
    const next = await said("get_next_task");
    expect((next.structured.task as { id: string }).id).toBe("task-001");
    expect(next.message).toContain("task-001");

    const claimed = await said("claim_next_task", { lease_seconds: 60 });
    expect(claimed.message).toBe("Started task: task-001 (attempt 1)");
    expect((claimed.structured.task as { claimed_by: string }).claimed_by).toMatch(/^test-v[12]@/);
    expect((await said("start_task", { task_id: "task-002" })).message).toBe(
      "Started task: task-002 (attempt 1)",
    );

    const one = await said("get_task", { task_id: "task-001" });
    expect((one.structured.task as { criteria: string }).criteria).toBe("it is first");
    const piece = await said("get_task", { task_id: "task-001", field: "description", offset: 1 });
    expect((piece.structured.chunk as { text: string }).text).toBe("irst");

    const page = await said("list_tasks", { status: "pending", limit: 1 });
    expect(page.structured.total).toBe(2);
    expect((page.structured.tasks as Array<{ id: string }>).map((t) => t.id)).toEqual(["task-003"]);
    const rest = await said("list_tasks", { status: "pending", cursor: page.structured.nextCursor });
    expect((rest.structured.tasks as Array<{ id: string }>).map((t) => t.id)).toEqual(["task-004"]);
    expect(rest.structured.nextCursor).toBeNull();

    expect((await said("complete_task", { task_id: "task-001", result: "done" })).message).toBe(
      "Completed task: task-001",
    );
    expect((await said("fail_task", { task_id: "task-002", reason: "no luck" })).message).toBe(
      "Failed task: task-002 - no luck",
    );
    const retried = await said("retry_task", { task_id: "task-002", feedback: "try harder" });
    expect(retried.message).toBe("Task task-002 queued for retry");
    expect(retried.structured.queued).toBe(true);
    expect(
      (await said("complete_tasks_batch", { task_ids: ["task-003", "task-004"], result: "ok" })).message,
    ).toBe("Completed 2 tasks: task-003, task-004");
    expect((await said("clear_completed")).message).toBe("Cleared 3 completed tasks");
    expect((await said("reset_all_tasks", { confirm: true })).message).toBe(
      "All tasks reset to pending (1 task)",
    );
    expect((await said("get_task", { task_id: "task-002" })).structured.task).toMatchObject({
      status: "pending",
      attempts: 0,
    });
  });

  it("reads every resource and the templates", async () => {
    await ok(client, "add_tasks_batch", {
      tasks: [{ description: "resource a" }, { description: "resource b", depends_on: ["#1"] }],
    });
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    for (const uri of [
      "task://queue",
      "task://current",
      "task://stats",
      "task://pending",
      "task://completed",
    ]) {
      expect(uris).toContain(uri);
    }
    expect(uris).toContain("task://failed");
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual([
      "task://filter/{status}",
      "task://runs/{id}",
      "task://tasks/{id}",
    ]);

    const queue = (await readJson(client, "task://queue")) as {
      total: number;
      omitted: number;
      tasks: unknown[];
    };
    expect(queue.total).toBeGreaterThanOrEqual(3);
    expect(queue.omitted).toBe(0);
    expect(queue.tasks).toHaveLength(queue.total);
    expect(await readJson(client, "task://current")).toMatchObject({ status: "pending" });
    expect(await readJson(client, "task://stats")).toMatchObject({ total: queue.total, completed: 0 });
    expect((await readJson(client, "task://pending")) as object).toMatchObject({ total: queue.total });
    expect(await readJson(client, "task://completed")).toMatchObject({ total: 0, tasks: [] });
    expect(await readJson(client, "task://failed")).toMatchObject({ total: 0, tasks: [] });
    expect(await readJson(client, "task://filter/pending")).toMatchObject({
      status: "pending",
      total: queue.total,
    });
    const task = (await readJson(client, "task://tasks/task-006")) as { id: string; depends_on: string[] };
    expect(task).toMatchObject({ id: "task-006", depends_on: ["task-005"] });
  });

  it("gets both prompts", async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(["plan_tasks", "process_queue"]);
    const process = await client.getPrompt({ name: "process_queue", arguments: { max_tasks: "3" } });
    expect(JSON.stringify(process.messages)).toContain("claim_next_task");
    const plan = await client.getPrompt({ name: "plan_tasks", arguments: { goal: "Ship the docs" } });
    const text = JSON.stringify(plan.messages);
    expect(text).toContain("Ship the docs");
    expect(text).toContain("add_tasks_batch");
  });

  it("completes template arguments", async () => {
    const statuses = await client.complete({
      ref: { type: "ref/resource", uri: "task://filter/{status}" },
      argument: { name: "status", value: "in" },
    });
    expect(statuses.completion.values).toEqual(["in_progress"]);
    const ids = await client.complete({
      ref: { type: "ref/resource", uri: "task://tasks/{id}" },
      argument: { name: "id", value: "task-00" },
    });
    expect(ids.completion.values).toContain("task-002");
    expect(ids.completion.values).not.toContain("task-001"); // cleared
    const byNumber = await client.complete({
      ref: { type: "ref/resource", uri: "task://tasks/{id}" },
      argument: { name: "id", value: "5" },
    });
    expect(byNumber.completion.values).toEqual(["task-005"]);
  });
  it("edits a pending task and deletes one (update_task, delete_task)", async () => {
    const said = async (name: string, args: Record<string, unknown> = {}) => {
      const reply = await call(client, name, args);
      expect(reply.isError, `${name}: ${reply.text}`).toBe(false);
      return { message: String(reply.structured?.message), structured: reply.structured ?? {} };
    };
    const id = String(
      ((await said("add_task", { description: "to edit" })).structured.task as { id: string }).id,
    );
    const edited = await said("update_task", { task_id: id, changes: { priority: 1, tags: ["x"] } });
    expect(edited.message).toBe(`Updated task: ${id}`);
    expect(edited.structured.task).toMatchObject({ priority: 1 });
    await said("start_task", { task_id: id });
    const held = await call(client, "delete_task", { task_id: id });
    expect(held.isError).toBe(true);
    expect(held.text).toMatch(/in_progress.*force: true/);
    const refused = await call(client, "update_task", { task_id: id, changes: { priority: 2 } });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain(`${id} is in_progress: only a task that is pending can be edited`);
    expect((await said("delete_task", { task_id: id, force: true })).message).toBe(`Deleted task: ${id}`);
    expect((await call(client, "get_task", { task_id: id })).isError).toBe(true);
  });
});
