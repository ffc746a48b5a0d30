/** `ralph-mcp complete ID --result …`: mark a task done, by hand. */
import type { Command } from "commander";
import { resultSchema } from "../domain/validate.js";
import { out, printJson, schemaValue, withStore } from "./context.js";
import { jsonOption } from "./options.js";

export function registerComplete(program: Command): void {
  const command = program
    .command("complete")
    .alias("done")
    .description("Mark a pending or in-progress task completed")
    .argument("<id>", "task id, e.g. task-001")
    .option(
      "-r, --result <text>",
      "what was done, or where the output is",
      schemaValue(resultSchema, "result"),
      "",
    );
  jsonOption(command, "the task").action(async (id: string, opts) => {
    await withStore(program, async (store) => {
      const task = await store.complete(id, opts.result);
      if (opts.json) return printJson(task);
      out(`Completed task: ${task.id}`);
    });
  });
}
