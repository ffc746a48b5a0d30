/** `ralph-mcp add "description"`: put a task in the queue. */
import type { Command } from "commander";
import { idempotencyKeySchema, runAtSchema } from "../domain/validate.js";
import { out, printJson, schemaValue, withStore } from "./context.js";
import { jsonOption, taskOptions } from "./options.js";

export function registerAdd(program: Command): void {
  const command = program
    .command("add")
    .description("Add a task to the queue")
    .argument("<description...>", "what the task should accomplish (quotes optional)");
  taskOptions(command)
    .option(
      "-k, --key <key>",
      "idempotency key: a second add with the same key returns the first task",
      schemaValue(idempotencyKeySchema, "idempotency_key"),
    )
    .option(
      "--at <time>",
      "not started before this time (ISO 8601, e.g. 2026-05-01T09:00:00Z)",
      schemaValue(runAtSchema, "run_at"),
    );
  jsonOption(command, "the task").action(async (words: string[], opts) => {
    await withStore(program, async (store) => {
      const { task, created } = await store.create({
        description: words.join(" "),
        priority: opts.priority,
        max_attempts: opts.maxAttempts,
        criteria: opts.criteria,
        depends_on: opts.dependsOn,
        tags: opts.tag,
        idempotency_key: opts.key,
        run_at: opts.at,
      });
      if (opts.json) return printJson(task);
      out(created ? `Created task: ${task.id}` : `Exists already: ${task.id} (same key)`);
    });
  });
}
