/** `ralph-mcp fail ID --reason …`: give up on a task, saying why. */
import type { Command } from "commander";
import { reasonSchema } from "../domain/validate.js";
import { out, printJson, schemaValue, withStore } from "./context.js";
import { jsonOption } from "./options.js";

export function registerFail(program: Command): void {
  const command = program
    .command("fail")
    .description("Mark a pending or in-progress task failed")
    .argument("<id>", "task id, e.g. task-001")
    .requiredOption("-r, --reason <text>", "why it failed", schemaValue(reasonSchema, "reason"));
  jsonOption(command, "the task").action(async (id: string, opts) => {
    await withStore(program, async (store) => {
      const task = await store.fail(id, opts.reason);
      if (opts.json) return printJson(task);
      out(`Failed task: ${task.id}`);
    });
  });
}
