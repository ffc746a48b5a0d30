/**
 * `ralph-mcp runs watch ID`: follow a run from any terminal — its phase and counts as they change,
 * and each execution's output as it comes (the tail the run streams into the store) — until it ends.
 * Ctrl-C stops watching (the run goes on).
 */
import type { Command } from "commander";
import { type ExecutionOutput, isFinalRunStatus, type Run } from "../domain/run.js";
import { describeRun } from "../orchestrator/format.js";
import { RunRegistry } from "../orchestrator/registry.js";
import type { TaskStore } from "../store/types.js";
import { withExistingStore } from "./context.js";
import { exitCodeFor } from "./run.js";

/** How often the store is read, in ms. */
const POLL_MS = 300;

/** What is new in an execution's tail since `before` (all of it, after a note, when older lines were dropped). */
export function newOutput(before: string | undefined, now: string): string {
  if (before === undefined) return now;
  if (now.startsWith(before)) return now.slice(before.length);
  // Lines were dropped from the front: print from where what was seen ends, if it is still there.
  const seenEnd = before.slice(-200);
  const at = seenEnd === "" ? -1 : now.lastIndexOf(seenEnd);
  return at === -1 ? now : now.slice(at + seenEnd.length);
}

async function watch(store: TaskStore, id: string, write: (text: string) => void): Promise<Run> {
  const runs = new RunRegistry({ store });
  const seen = new Map<string, string>();
  let lastState = "";
  for (;;) {
    const run = await runs.get(id);
    const outputs: ExecutionOutput[] = await store.runs.outputs(run.id);
    for (const o of outputs) {
      const key = `${o.task_id}#${o.attempt}`;
      const fresh = newOutput(seen.get(key), o.text);
      seen.set(key, o.text);
      if (fresh === "") continue;
      const who = `${o.task_id} attempt ${o.attempt}${o.worker ? ` (w${o.worker})` : ""}`;
      for (const line of fresh.replace(/\n$/, "").split("\n")) write(`  ${who} │ ${line}\n`);
    }
    const state = describeRun(run);
    if (state !== lastState) {
      lastState = state;
      write(`${state}\n`);
    }
    if (isFinalRunStatus(run.status)) return run;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Adds `watch` to the `runs` command group. */
export function registerRunsWatch(runs: Command, program: Command): void {
  runs
    .command("watch")
    .description("Follow a run until it ends: its phase, counts and the agent's output as it comes")
    .argument("<id>", "run id, e.g. run-001")
    .action(async (id: string) => {
      await withExistingStore(program, async (store) => {
        const final = await watch(store, id, (text) => process.stdout.write(text));
        process.exitCode = exitCodeFor(final); // as `ralph-mcp run` would have exited
      });
    });
}
