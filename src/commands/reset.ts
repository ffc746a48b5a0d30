/** `ralph-mcp reset ID` / `reset --all --yes`: start tasks over (pending, attempts 0, no feedback). */
import type { Command } from "commander";
import { confirm } from "./confirm.js";
import { CliError, EXIT, out, printJson, withStore } from "./context.js";
import { jsonOption } from "./options.js";

export function registerReset(program: Command): void {
  const command = program
    .command("reset")
    .description(
      "Start a task over: pending, attempts 0, its result and feedback cleared (--all: every task)",
    )
    .argument("[id]", "task id, e.g. task-001")
    .option("--all", "reset every task in the queue")
    .option("-y, --yes", "do not ask first (needed with --all when not on a terminal)");
  jsonOption(command).action(async (id: string | undefined, opts) => {
    if ((id === undefined) === !opts.all) {
      throw new CliError(
        "Name one task to reset (ralph-mcp reset task-001), or reset every task with --all.",
        EXIT.usage,
      );
    }
    await withStore(program, async (store) => {
      if (opts.all) {
        const stats = await store.stats();
        await confirm(
          `Reset all ${stats.total} tasks to pending, clearing their results and feedback?`,
          opts.yes,
          "ralph-mcp reset --all --yes",
        );
        const count = await store.resetAll();
        if (opts.json) return printJson({ reset: count });
        out(`Reset ${count} task${count === 1 ? "" : "s"} to pending`);
        return;
      }
      const task = await store.reset(id as string);
      if (opts.json) return printJson(task);
      out(`Reset task ${task.id} to pending (attempts 0)`);
    });
  });
}
