/** `ralph-mcp stats`: how many tasks are where. */
import type { Command } from "commander";
import { out, printJson, withExistingStore } from "./context.js";
import { statsText } from "./format.js";
import { jsonOption } from "./options.js";

export function registerStats(program: Command): void {
  const command = program.command("stats").description("Counts by status, completion and failure rates");
  jsonOption(command, "the counts").action(async (opts) => {
    await withExistingStore(program, async (store) => {
      const stats = await store.stats();
      if (opts.json) return printJson(stats);
      for (const line of statsText(stats)) out(line);
    });
  });
}
