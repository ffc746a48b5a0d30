/** `ralph-mcp runs list | show ID | watch ID | cancel ID`: the orchestrator's runs, from any process sharing the store. */
import type { Command } from "commander";
import { CliError, EXIT, out, printJson, withExistingStore } from "./context.js";
import { runDetail, runTable } from "./format.js";
import { jsonOption } from "./options.js";
import { registerRunsWatch } from "./runs-watch.js";

export function registerRuns(program: Command): void {
  const runs = program.command("runs").description("Orchestrator runs: list, show, watch, cancel");
  registerRunsWatch(runs, program);

  jsonOption(
    runs.command("list", { isDefault: true }).alias("ls").description("Recent runs, newest first"),
    "the runs",
  )
    .option(
      "-n, --limit <n>",
      "how many (default 20)",
      (v) => Math.max(1, Math.min(500, Math.trunc(Number(v)) || 20)),
      20,
    )
    .action(async (opts) => {
      await withExistingStore(program, async (store) => {
        const list = await store.runs.list({ limit: opts.limit });
        if (opts.json) return printJson(list);
        if (list.length === 0) return out("No runs yet. Start one with: ralph-mcp run");
        for (const line of runTable(list)) out(line);
      });
    });

  jsonOption(
    runs
      .command("show")
      .description("One run: status, counts, what it is doing")
      .argument("<id>", "run id, e.g. run-001"),
    "the run",
  ).action(async (id: string, opts) => {
    await withExistingStore(program, async (store) => {
      const run = await store.runs.get(id);
      if (opts.json) return printJson(run);
      for (const line of runDetail(run)) out(line);
    });
  });

  jsonOption(
    runs
      .command("cancel")
      .description("Ask a running run to stop (its current task goes back in line)")
      .argument("<id>", "run id, e.g. run-001"),
    "the run",
  ).action(async (id: string, opts) => {
    await withExistingStore(program, async (store) => {
      const run = await store.runs.requestCancel(id);
      if (run.status !== "running") {
        throw new CliError(
          `${run.id} has already ended (${run.status}): there is nothing to cancel.`,
          EXIT.refused,
        );
      }
      if (opts.json) return printJson(run);
      out(`Asked ${run.id} to stop; it stops at its next heartbeat and puts its task back in line.`);
    });
  });
}
