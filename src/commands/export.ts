/**
 * `ralph-mcp export [--status S] [--format json|jsonl] [-o FILE]`: every task, whole, to stdout
 * or a file, in id order, so `import` can bring the same tasks (ids, dependencies, feedback) back.
 * A file is written whole or not at all (a temporary file, then a rename).
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { TASK_STATUSES, type Task } from "../domain/task.js";
import { schemaValue, withExistingStore } from "./context.js";

const statusValue = schemaValue(
  z.enum(TASK_STATUSES, { error: `status must be one of: ${TASK_STATUSES.join(", ")}` }),
  "status",
);
const formatValue = schemaValue(
  z.enum(["json", "jsonl"], { error: "format must be json or jsonl" }),
  "format",
);

export function registerExport(program: Command): void {
  program
    .command("export")
    .description("Write every task (or those with one status) as JSON, for a backup or another store")
    .option("-s, --status <status>", `only tasks that are ${TASK_STATUSES.join(", ")}`, statusValue)
    .option("-f, --format <format>", "json (one array) or jsonl (one task a line)", formatValue, "json")
    .option("-o, --output <file>", "write to this file instead of stdout")
    .action(async (opts) => {
      await withExistingStore(program, async (store) => {
        const tasks: Task[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.list({ status: opts.status, limit: 500, cursor });
          tasks.push(...page.tasks);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        const text =
          opts.format === "jsonl"
            ? tasks.map((t) => `${JSON.stringify(t)}\n`).join("")
            : `${JSON.stringify(tasks, null, 2)}\n`;
        if (!opts.output) {
          process.stdout.write(text);
          return;
        }
        const path = resolve(opts.output);
        const temp = `${path}.${process.pid}.tmp`;
        try {
          writeFileSync(temp, text);
          renameSync(temp, path);
        } catch (error) {
          rmSync(temp, { force: true });
          throw error;
        }
        process.stderr.write(`Exported ${tasks.length} task${tasks.length === 1 ? "" : "s"} to ${path}\n`);
      });
    });
}
