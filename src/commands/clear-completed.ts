/** `ralph-mcp clear-completed --yes`: delete the completed tasks. */
import type { Command } from "commander";
import { confirm } from "./confirm.js";
import { out, printJson, withStore } from "./context.js";
import { jsonOption } from "./options.js";

export function registerClearCompleted(program: Command): void {
  const command = program
    .command("clear-completed")
    .description("Delete every completed task")
    .option("-y, --yes", "do not ask first (needed when not on a terminal)");
  jsonOption(command).action(async (opts) => {
    await withStore(program, async (store) => {
      const { completed } = await store.stats();
      await confirm(
        `Delete ${completed} completed task${completed === 1 ? "" : "s"}?`,
        opts.yes,
        "ralph-mcp clear-completed --yes",
      );
      const count = await store.clearCompleted();
      if (opts.json) return printJson({ deleted: count });
      out(`Deleted ${count} completed task${count === 1 ? "" : "s"}`);
    });
  });
}
