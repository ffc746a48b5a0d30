/** `ralph-mcp retry ID [--feedback …]`: queue a task again, with what the next attempt should know. */
import type { Command } from "commander";
import { feedbackSchema } from "../domain/validate.js";
import { out, printJson, schemaValue, withStore } from "./context.js";
import { jsonOption } from "./options.js";

export function registerRetry(program: Command): void {
  const command = program
    .command("retry")
    .description("Queue a completed, failed or in-progress task again (fails it when its attempts are spent)")
    .argument("<id>", "task id, e.g. task-001")
    .option(
      "-f, --feedback <text>",
      "what the next attempt should do differently",
      schemaValue(feedbackSchema, "feedback"),
    );
  jsonOption(command, "the task").action(async (id: string, opts) => {
    await withStore(program, async (store) => {
      const task = await store.retry(id, opts.feedback ?? "", { source: "user" });
      if (opts.json) return printJson(task);
      out(
        task.status === "pending"
          ? `Queued task ${task.id} again (attempt ${task.attempts + 1} of ${task.max_attempts} next)`
          : `Task ${task.id} has used all ${task.max_attempts} attempts; it is failed now. Start it over with: ralph-mcp reset ${task.id}`,
      );
      if (task.status !== "pending") process.exitCode = 1;
    });
  });
}
