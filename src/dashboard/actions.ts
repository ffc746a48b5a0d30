/**
 * What a person can do from the board, each in the store's own words: add a task, retry one with
 * feedback, fail one, delete one, cancel a run. The web page reaches these through POST /api/…;
 * the MCP App calls the matching tools through its host instead (see web/src/app-bridge.ts).
 */
import { ValidationError } from "../domain/errors.js";
import type { RunRegistry } from "../orchestrator/registry.js";
import type { TaskStore } from "../store/types.js";
import type { ActionResult, BoardAction } from "./types.js";

/** Check a request body is an action, naming what is wrong when it is not. */
export function parseAction(kind: BoardAction["kind"], id: string | undefined, body: unknown): BoardAction {
  const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const text = (name: string, required: boolean): string | undefined => {
    const value = b[name];
    if (value === undefined || value === null || value === "") {
      if (required) throw new ValidationError(`"${name}" is required: give it as a string in the JSON body.`);
      return undefined;
    }
    if (typeof value !== "string") throw new ValidationError(`"${name}" must be a string.`);
    return value;
  };
  const needId = (): string => {
    if (!id)
      throw new ValidationError("The address must name a task or run id, e.g. /api/tasks/task-001/retry.");
    return id;
  };
  switch (kind) {
    case "add": {
      const priority = b.priority;
      if (priority !== undefined && (typeof priority !== "number" || !Number.isInteger(priority))) {
        throw new ValidationError('"priority" must be a whole number from 1 (highest) to 10 (lowest).');
      }
      const criteria = text("criteria", false);
      return {
        kind,
        description: text("description", true) as string,
        ...(priority !== undefined ? { priority } : {}),
        ...(criteria !== undefined ? { criteria } : {}),
      };
    }
    case "retry":
      return { kind, id: needId(), feedback: text("feedback", false) ?? "" };
    case "fail":
      return { kind, id: needId(), reason: text("reason", false) ?? "Failed from the dashboard" };
    case "delete": {
      if (b.force !== undefined && typeof b.force !== "boolean")
        throw new ValidationError('"force" must be true or false.');
      return { kind, id: needId(), ...(b.force === true ? { force: true } : {}) };
    }
    case "cancel_run":
      return { kind, id: needId() };
  }
}

export async function perform(
  store: TaskStore,
  runs: RunRegistry | undefined,
  action: BoardAction,
): Promise<ActionResult> {
  switch (action.kind) {
    case "add": {
      const { task } = await store.create({
        description: action.description,
        priority: action.priority,
        criteria: action.criteria ?? null,
      });
      return { ok: true, message: `Created task: ${task.id}` };
    }
    case "retry": {
      const task = await store.retry(action.id, action.feedback, { source: "user" });
      return {
        ok: true,
        message:
          task.status === "pending"
            ? `Task ${task.id} queued for retry`
            : `Task ${task.id}: ${task.failure_reason}`,
      };
    }
    case "fail": {
      const task = await store.fail(action.id, action.reason);
      return { ok: true, message: `Failed task: ${task.id}` };
    }
    case "delete": {
      const task = await store.delete(action.id, { force: action.force === true });
      return { ok: true, message: `Deleted task: ${task.id}` };
    }
    case "cancel_run": {
      const run = runs
        ? await runs.cancel(action.id, "Cancelled from the dashboard")
        : await store.runs.requestCancel(action.id);
      return {
        ok: true,
        message: run.status === "running" ? `Asked ${run.id} to stop` : `${run.id} is ${run.status}`,
      };
    }
  }
}
