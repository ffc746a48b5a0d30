/**
 * Options several commands share, each checked with the domain's own schema (so `add -p 11` and
 * `edit task-001 -p 11` say the same thing), and the blockers of the tasks a command shows.
 */
import type { Command } from "commander";
import type { Task } from "../domain/task.js";
import {
  criteriaSchema,
  descriptionSchema,
  maxAttemptsSchema,
  prioritySchema,
  tagsSchema,
} from "../domain/validate.js";
import type { TaskStore } from "../store/types.js";
import { listValue, schemaValue, toNumber } from "./context.js";

export const priorityValue = schemaValue(prioritySchema, "priority", toNumber);
export const maxAttemptsValue = schemaValue(maxAttemptsSchema, "max_attempts", toNumber);
export const criteriaValue = schemaValue(criteriaSchema, "criteria");
export const descriptionValue = schemaValue(descriptionSchema, "description");
const oneTag = schemaValue(tagsSchema.element, "tags");

/** The options that describe a task: add and edit take the same ones. */
export function taskOptions(command: Command): Command {
  return command
    .option("-p, --priority <n>", "1 (highest) … 10 (lowest); default 5", priorityValue)
    .option(
      "-m, --max-attempts <n>",
      "how many times it may be started, 1 … 100; default 3",
      maxAttemptsValue,
    )
    .option("-c, --criteria <text>", "acceptance criteria, given to the agent and the check", criteriaValue)
    .option(
      "-d, --depends-on <ids>",
      "task ids that must be completed first (comma-separated or repeated)",
      listValue(),
    )
    .option(
      "-t, --tag <tag>",
      "a label (comma-separated or repeated)",
      listValue((tag) => void oneTag(tag)),
    );
}

export const jsonOption = (command: Command, what = "the result") =>
  command.option("--json", `print ${what} as JSON, for scripts`);

/** For each pending task that depends on tasks not completed yet: those tasks' ids. */
export async function blockersOf(store: TaskStore, tasks: Task[]): Promise<Map<string, string[]>> {
  const waiting = tasks.filter((t) => t.status === "pending" && t.depends_on.length > 0);
  const status = new Map<string, string>();
  for (const id of new Set(waiting.flatMap((t) => t.depends_on))) {
    try {
      status.set(id, (await store.get(id)).status);
    } catch {
      status.set(id, "completed"); // a deleted dependency holds nothing up
    }
  }
  const blockers = new Map<string, string[]>();
  for (const t of waiting) {
    const unmet = t.depends_on.filter((d) => status.get(d) !== "completed");
    if (unmet.length > 0) blockers.set(t.id, unmet);
  }
  return blockers;
}
