/** `ralph-mcp show ID`: one task in full. */
import type { Command } from "commander";
import { out, printJson, withExistingStore } from "./context.js";
import { taskDetail } from "./format.js";
import { blockersOf, jsonOption } from "./options.js";

export function registerShow(program: Command): void {
  const command = program
    .command("show")
    .description("Show one task in full: its result, failure, feedback and history")
    .argument("<id>", "task id, e.g. task-001");
  jsonOption(command, "the task").action(async (id: string, opts) => {
    await withExistingStore(program, async (store) => {
      const task = await store.get(id);
      if (opts.json) return printJson(task);
      const waits = (await blockersOf(store, [task])).get(task.id) ?? [];
      for (const line of taskDetail(task, waits)) out(line);
    });
  });
}
