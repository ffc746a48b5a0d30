/**
 * `ralph-mcp run` end to end through the built CLI (dist/bin/ralph-mcp.js) with a command executor: output,
 * summary, exit codes, Ctrl-C/SIGTERM, and two processes sharing one store.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Run } from "../../src/domain/run.js";
import { isAlive, sq, useStore, waitFor } from "./helpers.js";

const root = join(import.meta.dirname, "..", "..");
const cli = join(root, "dist", "bin", "ralph-mcp.js");
const fixtures = join(import.meta.dirname, "fixtures");

function newestSource(path: string): number {
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

beforeAll(() => {
  // `npm test` builds first; build here too when dist/ is missing or older than src/.
  if (!existsSync(cli) || statSync(cli).mtimeMs < newestSource(join(root, "src"))) {
    // The same two steps as `npm run build`: compile, then bundle the command users run.
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
    execFileSync(process.execPath, [join(root, "scripts", "bundle.mjs")], { cwd: root, stdio: "inherit" });
  }
}, 120_000);

const ctx = useStore();

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: none of the caller's RALPH_* / ANTHROPIC_* settings leak in. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("RALPH_") && !k.startsWith("ANTHROPIC_")) env[k] = v;
  }
  return { ...env, RALPH_LOG_LEVEL: "warn", ...extra };
}

function start(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; result: Promise<Result> } {
  const child = spawn(process.execPath, [cli, "--db", ctx.dir.file("tasks.db"), "run", ...args], {
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const result = new Promise<Result>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, result };
}

const run = (args: string[], env: Record<string, string>) => start(args, env).result;
const agent = (mode = "ok") => `node ${sq(join(fixtures, "agent.mjs"))} ${sq(ctx.dir.path)} ${mode}`;

function config(content: unknown): string {
  const path = ctx.dir.file("ralph.json");
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe("ralph-mcp run", () => {
  it("works through the queue: plain progress lines when not a terminal, a summary, exit 0", async () => {
    await ctx.store.create({ description: "First task" });
    await ctx.store.create({ description: "Second task" });

    const { code, stdout, stderr } = await run(["--max-tasks", "5"], { RALPH_EXECUTOR_COMMAND: agent() });

    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).not.toContain("\r"); // no live line when stdout is not a terminal
    const lines = stdout.trim().split("\n");
    expect(lines).toEqual([
      "run-001 started: up to 5 tasks, executor command, verifier none",
      "task-001 attempt 1/3: executing — First task",
      expect.stringMatching(/^task-001 attempt 1: completed \(\d+ ms\)$/),
      "task-002 attempt 1/3: executing — Second task",
      expect.stringMatching(/^task-002 attempt 1: completed \(\d+ ms\)$/),
      "run-001 finished: The queue is done: no pending tasks are left.",
      "  processed 2 · completed 2 · failed 0 · retried 0 · executions 2",
      // A command executor reports no tokens: the summary shows none (and no cost) rather than zeros.
      expect.stringMatching(/^ {2}took \d+ m?s$/),
    ]);
    expect((await ctx.store.get("task-002")).result).toBe("answer to task-002 attempt 1");
    expect(await ctx.store.runs.get("run-001")).toMatchObject({
      status: "finished",
      stats: { completed: 2 },
    });
  });

  it("exit 3 when the breaker stops a failing agent; --json prints the final run", async () => {
    await ctx.store.create({ description: "Doomed", max_attempts: 10 });
    const path = config({ breaker: { cooldownMs: 0 } });

    const { code, stdout } = await run(["--json", "--config", path], {
      RALPH_EXECUTOR_COMMAND: agent("fail"),
    });

    expect(code).toBe(3);
    const final = JSON.parse(stdout) as Run;
    expect(final).toMatchObject({ status: "stopped", stop_code: "repeated_error" });
    expect(final.stop_reason).toContain("fatal: could not open config.json");
    expect((await ctx.store.get("task-001")).status).toBe("pending");
  });

  it("exit 2 when the queue is done but a task failed for good in this run", async () => {
    await ctx.store.create({ description: "One shot", max_attempts: 1 });
    await ctx.store.create({ description: "Fine" });
    const path = config({
      breaker: { cooldownMs: 0, maxConsecutiveFailures: 10, repeatThreshold: 10, repeatWindow: 10 },
    });

    const { code, stdout } = await run(["--config", path], {
      RALPH_EXECUTOR_COMMAND: `if [ "$RALPH_TASK_ID" = task-001 ]; then exit 1; fi; ${agent()}`,
    });

    expect(code).toBe(2);
    expect(stdout).toMatch(/task-001 attempt 1: failed for good \(Max attempts \(1\) reached\)/);
    expect(stdout).toContain("processed 2 · completed 1 · failed 1");
  });

  it("exit 4 when a limit is reached", async () => {
    await ctx.store.create({ description: "a" });
    await ctx.store.create({ description: "b" });
    const { code, stdout } = await run(["--config", config({ breaker: { maxIterations: 1 } })], {
      RALPH_EXECUTOR_COMMAND: agent(),
    });
    expect(code).toBe(4);
    expect(stdout).toContain("run-001 stopped: Reached the limit of 1 executions for one run.");
  });

  it("exit 78 for a wrong setting, naming it", async () => {
    const { code, stderr } = await run([], { RALPH_EXECUTOR: "command" });
    expect(code).toBe(78);
    expect(stderr).toMatch(/^ralph-mcp run: RALPH_EXECUTOR=command needs RALPH_EXECUTOR_COMMAND/);
    const bad = await run(["--config", config({ breaker: { maxCost: 1 } })], {
      RALPH_EXECUTOR_COMMAND: "true",
    });
    expect(bad.code).toBe(78);
    expect(bad.stderr).toMatch(/unknown setting maxCost in breaker/);
  });

  it("a flag out of its range is a command-line mistake (exit 64), worded like every other flag", async () => {
    for (const [args, message] of [
      [["--parallel", "0"], '--parallel must be a whole number from 1 to 64 (got "0")'],
      [["--parallel", "65"], '--parallel must be a whole number from 1 to 64 (got "65")'],
      [["--max-tasks", "0"], '--max-tasks must be a whole number ≥ 1 (got "0")'],
    ] as const) {
      const { code, stderr } = await run([...args], { RALPH_EXECUTOR_COMMAND: "true" });
      expect(code).toBe(64);
      expect(stderr).toContain(message);
    }
  });

  it("SIGTERM mid-execution: exit 130, the agent's tree is gone, the task is back in line", async () => {
    await ctx.store.create({ description: "Long job" });
    const { child, result } = start([], {
      RALPH_EXECUTOR_COMMAND: `sh ${sq(join(fixtures, "tree.sh"))} ${sq(ctx.dir.path)}`,
    });
    const file = ctx.dir.file("pids-task-001-1");
    const pids = (
      await waitFor(() => existsSync(file) && readFileSync(file, "utf8"), { what: "the agent's tree" })
    )
      .trim()
      .split(" ")
      .map(Number);
    expect(pids.every(isAlive)).toBe(true);

    child.kill("SIGTERM");
    const { code, stdout } = await result;

    expect(code).toBe(130);
    expect(stdout).toContain("run-001 cancelled: Cancelled by SIGTERM. task-001 was put back in line.");
    await waitFor(() => pids.every((pid) => !isAlive(pid)), { what: "the tree to be gone", timeoutMs: 5000 });
    expect(await ctx.store.get("task-001")).toMatchObject({
      status: "pending",
      attempts: 0,
      claimed_by: null,
    });
  });

  it("two run processes on one store share the work and never execute a task twice", async () => {
    const n = 16;
    await ctx.store.createBatch(
      Array.from({ length: n }, (_, i) => ({ description: `Shared task ${i + 1}` })),
    );
    const env = {
      RALPH_EXECUTOR_COMMAND: `node ${sq(join(fixtures, "shared-agent.mjs"))} ${sq(ctx.dir.path)}`,
    };

    const [a, b] = await Promise.all([run(["--max-tasks", "100"], env), run(["--max-tasks", "100"], env)]);

    expect([a.code, b.code]).toEqual([0, 0]);
    const log = readFileSync(ctx.dir.file("executions.log"), "utf8").trim().split("\n");
    const starts = log.filter((l) => l.startsWith("start ")).map((l) => l.split(" "));
    const perTask = new Map<string, number>();
    for (const [, task] of starts) perTask.set(task as string, (perTask.get(task as string) ?? 0) + 1);
    expect(perTask.size).toBe(n);
    expect([...perTask.values()].every((count) => count === 1)).toBe(true);
    // Both processes did part of the work (each one's first execution waited for the other).
    const byRun = new Set(starts.map(([, , runId]) => runId));
    expect(byRun).toEqual(new Set(["run-001", "run-002"]));
    const stats = await ctx.store.stats();
    expect(stats).toMatchObject({ completed: n, pending: 0, in_progress: 0, average_attempts: 1 });
    const done = [a, b].map((r) => Number(/completed (\d+)/.exec(r.stdout)?.[1]));
    expect((done[0] as number) + (done[1] as number)).toBe(n);
  });
});
