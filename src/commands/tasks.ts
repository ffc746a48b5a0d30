/**
 * `ralph-mcp add | list | show | stats | …`: the queue from a terminal, for people.
 * Output goes to stdout (these are not the stdio server); errors to stderr with a non-zero exit.
 */
import type { Command } from "commander";
import { ValidationError } from "../domain/errors.js";
import { isTaskStatus, type Task } from "../domain/task.js";
import { openStore } from "../store/open.js";
import type { TaskStore } from "../store/types.js";

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Open the store the global --db names, run, and always close. */
export async function withStore<R>(program: Command, fn: (store: TaskStore) => Promise<R>): Promise<R> {
  const store = await openStore(program.opts<{ db?: string }>().db);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function int(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new ValidationError(`${name} must be a whole number (got "${value}").`);
    return n;
  };
}

function line(task: Task): string {
  const text = task.description.replace(/\s+/g, " ");
  return `${task.id}  ${task.status.padEnd(11)}  p${task.priority}  ${task.attempts}/${task.max_attempts}  ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`;
}

export function registerTaskCommands(program: Command): void {
  program
    .command("add")
    .description("Add a task to the queue")
    .argument("<description...>", "what the task should accomplish")
    .option("-p, --priority <n>", "1 (highest) … 10 (lowest)", int("priority"))
    .option("-m, --max-attempts <n>", "1 … 100", int("max-attempts"))
    .option("-c, --criteria <text>", "acceptance criteria")
    .option("-d, --depends-on <ids...>", "task ids that must be completed first")
    .option("-t, --tag <tags...>", "labels")
    .option("--json", "print the task as JSON")
    .action(async (words: string[], opts) => {
      await withStore(program, async (store) => {
        const { task, created } = await store.create({
          description: words.join(" "),
          priority: opts.priority,
          max_attempts: opts.maxAttempts,
          criteria: opts.criteria,
          depends_on: opts.dependsOn,
          tags: opts.tag,
        });
        if (opts.json) out(JSON.stringify(task, null, 2));
        else out(created ? `Created task: ${task.id}` : `Exists already: ${task.id}`);
      });
    });

  program
    .command("list")
    .description("List tasks, oldest first")
    .option("-s, --status <status>", "pending, in_progress, completed or failed")
    .option("-n, --limit <n>", "how many (1 … 500)", int("limit"), 50)
    .option("--cursor <cursor>", "continue after a previous page")
    .option("--json", "print the page as JSON")
    .action(async (opts) => {
      if (opts.status !== undefined && !isTaskStatus(opts.status)) {
        throw new ValidationError(
          `Unknown status "${opts.status}". Use pending, in_progress, completed or failed.`,
        );
      }
      await withStore(program, async (store) => {
        const page = await store.list({ status: opts.status, limit: opts.limit, cursor: opts.cursor });
        if (opts.json) return out(JSON.stringify(page, null, 2));
        for (const task of page.tasks) out(line(task));
        const more = page.nextCursor ? ` — more with --cursor ${page.nextCursor}` : "";
        out(`${page.tasks.length} of ${page.total} shown${more}`);
      });
    });

  program
    .command("show")
    .description("Show one task in full")
    .argument("<id>", "task id, e.g. task-001")
    .action(async (id: string) => {
      await withStore(program, async (store) => out(JSON.stringify(await store.get(id), null, 2)));
    });

  program
    .command("stats")
    .description("Counts and rates")
    .action(async () => {
      await withStore(program, async (store) => out(JSON.stringify(await store.stats(), null, 2)));
    });
}
