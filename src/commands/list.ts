/** `ralph-mcp list`: the queue, for people on a terminal, or as JSON for scripts. */
import type { Command } from "commander";
import { z } from "zod";
import { LIMITS, TASK_STATUSES } from "../domain/task.js";
import { out, printJson, schemaValue, toNumber, withExistingStore } from "./context.js";
import { taskTable } from "./format.js";
import { blockersOf, jsonOption } from "./options.js";

const statusValue = schemaValue(
  z.enum(TASK_STATUSES, {
    error: (issue) =>
      `status must be one of: ${TASK_STATUSES.join(", ")}` +
      // `list` and `stats` show blocked tasks, but blocked is not a status of its own.
      (String(issue.input).trim() === "blocked"
        ? ". Blocked tasks are pending ones waiting on dependencies: ralph-mcp list --status pending shows them, marked blocked"
        : ""),
  }),
  "status",
);
const limitValue = schemaValue(
  z
    .int({ error: `limit must be a whole number from 1 to ${LIMITS.listLimit}` })
    .min(1, { error: `limit must be a whole number from 1 to ${LIMITS.listLimit}` })
    .max(LIMITS.listLimit, { error: `limit must be a whole number from 1 to ${LIMITS.listLimit}` }),
  "limit",
  toNumber,
);

export function registerList(program: Command): void {
  const command = program
    .command("list")
    .alias("ls")
    .description("List tasks in queue order: what runs next comes first")
    .option("-s, --status <status>", `only tasks that are ${TASK_STATUSES.join(", ")}`, statusValue)
    .option("-n, --limit <n>", `how many (1 … ${LIMITS.listLimit}; default 50)`, limitValue, 50)
    .option("--cursor <cursor>", "continue after a previous page (its last line names it)");
  jsonOption(command, "the page ({tasks, total, nextCursor})").action(async (opts) => {
    await withExistingStore(program, async (store) => {
      const page = await store.list({
        status: opts.status,
        limit: opts.limit,
        cursor: opts.cursor,
        order: "queue",
      });
      if (opts.json) return printJson(page);
      if (page.total === 0) {
        out(
          opts.status
            ? `No ${opts.status.replace("_", " ")} tasks.`
            : 'No tasks yet. Add one with: ralph-mcp add "Write the release notes"',
        );
        return;
      }
      const blockers = await blockersOf(store, page.tasks);
      for (const line of taskTable(page.tasks, blockers, process.stdout.columns ?? 120)) out(line);
      const more = page.nextCursor ? `; more with: ralph-mcp list --cursor ${page.nextCursor}` : "";
      out(`${page.tasks.length} of ${page.total} shown${more}`);
    });
  });
}
