/**
 * Issue 9's figures, measured in one run:
 *
 * - `parallel`: wall clock of 8 tasks with a 2-second agent, `--parallel 4` against `--parallel 1`
 *   (aim: a speed-up of at least 3×);
 * - `worktrees`: the overhead per task of a worktree of its own (creation, merge of its work,
 *   clean-up) in a repository of 5,000 files, against the same tasks without worktrees (aim < 300 ms).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OrchestratorBuilder } from "../src/orchestrator/builder.js";
import { CommandExecutor } from "../src/orchestrator/executors/command.js";
import { openSqliteStore } from "../src/store/sqlite/store.js";
import { heading, report, tempDir } from "./util.js";

interface Timed {
  ms: number;
  completed: number;
}

/** One run over `tasks` fresh tasks; wall-clock ms of the run. */
async function timedRun(
  dir: string,
  name: string,
  tasks: number,
  command: string,
  options: { parallel: number; worktrees?: { repo: string } },
): Promise<Timed> {
  const store = openSqliteStore({ path: join(dir, `${name}.db`) });
  try {
    for (let i = 1; i <= tasks; i++) await store.create({ description: `Task ${i}` });
    const builder = new OrchestratorBuilder()
      .withTaskStore(store)
      .withExecutor(
        new CommandExecutor({ command, timeoutMs: 60_000, maxOutputChars: 10_000, killGraceMs: 1000 }),
      )
      .withLoopSettings({ parallel: options.parallel, maxTasks: tasks, heartbeatMs: 1000 });
    if (options.worktrees) builder.withWorktrees({ repo: options.worktrees.repo });
    const started = performance.now();
    const run = await builder.build().run();
    return { ms: performance.now() - started, completed: run.stats.completed };
  } finally {
    await store.close();
  }
}

function table(
  rows: Array<{ figure: string; value: string; baseline: string; ratio: string; aim: string }>,
): void {
  process.stdout.write(
    `  ${"figure".padEnd(44)} ${"value".padStart(10)} ${"baseline".padStart(10)} ${"ratio".padStart(8)}   aim\n`,
  );
  for (const r of rows) {
    process.stdout.write(
      `  ${r.figure.padEnd(44)} ${r.value.padStart(10)} ${r.baseline.padStart(10)} ${r.ratio.padStart(8)}   ${r.aim}\n`,
    );
  }
}

export async function benchParallel(): Promise<void> {
  heading("run --parallel: 8 tasks, a 2-second agent (issue 9)");
  const tmp = tempDir();
  try {
    const agent = "sleep 2; echo done";
    const one = await timedRun(tmp.dir, "p1", 8, agent, { parallel: 1 });
    const four = await timedRun(tmp.dir, "p4", 8, agent, { parallel: 4 });
    report("--parallel 1 (baseline)", one.ms / 1000, "s", `${one.completed} completed`);
    report("--parallel 4", four.ms / 1000, "s", `${four.completed} completed`);
    table([
      {
        figure: "speed-up, --parallel 4 against --parallel 1",
        value: `${(four.ms / 1000).toFixed(2)} s`,
        baseline: `${(one.ms / 1000).toFixed(2)} s`,
        ratio: `${(one.ms / four.ms).toFixed(2)}×`,
        aim: "≥ 3×",
      },
    ]);
  } finally {
    tmp.remove();
  }
}

/** A repository of `files` files in 50 folders, committed on main. */
function makeRepo(path: string, files: number): void {
  mkdirSync(path, { recursive: true });
  const git = (...args: string[]) => execFileSync("git", args, { cwd: path, stdio: "ignore" });
  git("init", "--quiet", "-b", "main");
  git("config", "user.name", "Bench");
  git("config", "user.email", "bench@example.com");
  for (let i = 0; i < files; i++) {
    const folder = join(path, `dir-${i % 50}`);
    if (i < 50) mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `file-${i}.txt`), `line ${i}\n`.repeat(20));
  }
  git("add", "--all");
  git("commit", "--quiet", "-m", "5,000 files");
}

export async function benchWorktrees(): Promise<void> {
  heading("run --worktrees: overhead per task in a repository of 5,000 files (issue 9)");
  const tmp = tempDir();
  try {
    const repo = join(tmp.dir, "repo");
    makeRepo(repo, 5000);
    const plainDir = join(tmp.dir, "plain");
    mkdirSync(plainDir);
    const tasks = 10;
    const agent = 'printf "%s\\n" "$RALPH_TASK_ID" > "$RALPH_TASK_ID.txt"'; // in its workspace (its cwd)
    // The same agent without worktrees (in a plain folder), then with them; one worker each.
    const plain = await timedRun(tmp.dir, "plain", tasks, `cd ${JSON.stringify(plainDir)} && ${agent}`, {
      parallel: 1,
    });
    const worktrees = await timedRun(tmp.dir, "worktrees", tasks, agent, {
      parallel: 1,
      worktrees: { repo },
    });
    const perTask = (worktrees.ms - plain.ms) / tasks;
    report("a task without worktrees (baseline)", plain.ms / tasks, "ms", `${plain.completed} completed`);
    report(
      "a task in its own worktree, merged and cleaned up",
      worktrees.ms / tasks,
      "ms",
      `${worktrees.completed} completed`,
    );
    table([
      {
        figure: "worktree overhead per task (create, merge, clean)",
        value: `${Math.round(perTask)} ms`,
        baseline: `${Math.round(plain.ms / tasks)} ms`,
        ratio: `${(worktrees.ms / plain.ms).toFixed(2)}×`,
        aim: "< 300 ms",
      },
    ]);
  } finally {
    tmp.remove();
  }
}
