/** `ralph-mcp delete ID [--yes] [--force]`: remove a task for good. */
import type { Command } from "commander";
import { confirm } from "./confirm.js";
import { out, printJson, withStore } from "./context.js";
import { jsonOption } from "./options.js";

export function registerDelete(program: Command): void {
  const command = program
    .command("delete")
    .alias("rm")
    .description("Delete a task for good (tasks that wait for it no longer do)")
    .argument("<id>", "task id, e.g. task-001")
    .option("-y, --yes", "do not ask first (needed when not on a terminal)")
    .option("--force", "delete it even while it is in progress");
  jsonOption(command, "the deleted task").action(async (id: string, opts) => {
    await withStore(program, async (store) => {
      const task = await store.get(id);
      await confirm(
        `Delete ${task.id} (${task.status.replace("_", " ")})?`,
        opts.yes,
        `ralph-mcp delete ${task.id} --yes`,
      );
      const deleted = await store.delete(task.id, { force: opts.force === true });
      if (opts.json) return printJson(deleted);
      out(`Deleted task: ${deleted.id}`);
    });
  });
}
