/** `ralph-mcp edit ID [--description … --priority … …]`: change a task that has not started. */
import type { Command } from "commander";
import type { TaskPatch } from "../domain/validate.js";
import { CliError, EXIT, out, printJson, withStore } from "./context.js";
import { descriptionValue, jsonOption, taskOptions } from "./options.js";

export function registerEdit(program: Command): void {
  const command = program
    .command("edit")
    .description("Change a pending task: its description, priority, criteria, dependencies, tags or attempts")
    .argument("<id>", "task id, e.g. task-001")
    .option("--description <text>", "what the task should accomplish", descriptionValue);
  taskOptions(command)
    .option("--no-criteria", "remove its acceptance criteria")
    .option("--no-depends-on", "remove its dependencies")
    .option("--no-tag", "remove its tags");
  jsonOption(command, "the task").action(async (id: string, opts) => {
    const patch: TaskPatch = {
      description: opts.description,
      priority: opts.priority,
      max_attempts: opts.maxAttempts,
      // commander: --no-x sets x to false; a value given sets it to that value.
      criteria: opts.criteria === false ? null : opts.criteria,
      depends_on: opts.dependsOn === false ? [] : opts.dependsOn,
      tags: opts.tag === false ? [] : opts.tag,
    };
    if (Object.values(patch).every((v) => v === undefined)) {
      throw new CliError(
        `Say what to change, e.g. ralph-mcp edit ${id} --priority 1 (see ralph-mcp help edit).`,
        EXIT.usage,
      );
    }
    await withStore(program, async (store) => {
      const task = await store.update(id, patch);
      if (opts.json) return printJson(task);
      out(`Updated task: ${task.id}`);
    });
  });
}
