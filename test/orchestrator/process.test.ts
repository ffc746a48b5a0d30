/** Running configured commands: stdin, environment, timeout with the whole tree killed, output cap. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CommandExecutor } from "../../src/orchestrator/executors/command.js";
import { runCommand } from "../../src/orchestrator/process.js";
import type { ExecutionRequest } from "../../src/orchestrator/types.js";
import { CommandVerifier } from "../../src/orchestrator/verifiers/command.js";
import { isAlive, makeDir, sq, type TestDir, waitFor } from "./helpers.js";

const fixtures = join(import.meta.dirname, "fixtures");
let dir: TestDir;
beforeEach(() => {
  dir = makeDir();
});
afterEach(() => dir.cleanup());

const request = (prompt: string): ExecutionRequest => ({
  task: { id: "task-042" } as never,
  attempt: 2,
  prompt,
  runId: "run-007",
});
const never = new AbortController().signal;

describe("command executor", () => {
  it("the prompt on stdin, RALPH_TASK_ID / RALPH_TASK_ATTEMPT / RALPH_RUN_ID in the environment, stdout is the result", async () => {
    const executor = new CommandExecutor({
      command: 'printf "%s|%s|%s|" "$RALPH_TASK_ID" "$RALPH_TASK_ATTEMPT" "$RALPH_RUN_ID"; cat',
      timeoutMs: 10_000,
      maxOutputChars: 1000,
      killGraceMs: 1000,
    });
    expect(await executor.execute(request("the prompt"), never)).toEqual({
      ok: true,
      output: "task-042|2|run-007|the prompt",
      tokens: { input: 0, output: 0 },
    });
  });

  it("the server's own secret (RALPH_HTTP_TOKEN) is not passed on; the rest of its environment is", async () => {
    const saved = { token: process.env.RALPH_HTTP_TOKEN, key: process.env.SOME_AGENT_API_KEY };
    process.env.RALPH_HTTP_TOKEN = "server-secret";
    process.env.SOME_AGENT_API_KEY = "agent-key";
    try {
      // `env` lists what the shell was given: set-but-empty would still show up there.
      const show =
        'printf "token=[%s] set=%s key=[%s]" "$RALPH_HTTP_TOKEN" "$(env | grep -c ^RALPH_HTTP_TOKEN=)" "$SOME_AGENT_API_KEY"';
      const executor = new CommandExecutor({
        command: show,
        timeoutMs: 10_000,
        maxOutputChars: 1000,
        killGraceMs: 1000,
      });
      expect(await executor.execute(request(""), never)).toMatchObject({
        ok: true,
        output: "token=[] set=0 key=[agent-key]",
      });
      const verifier = new CommandVerifier({
        command: `cat >/dev/null; ${show}; exit 1`,
        timeoutMs: 10_000,
        killGraceMs: 1000,
      });
      const verdict = await verifier.verify(
        { task: { id: "task-042" } as never, attempt: 1, output: "x", runId: "run-007" },
        never,
      );
      expect(verdict.feedback).toContain("token=[] set=0 key=[agent-key]");
      expect(process.env.RALPH_HTTP_TOKEN).toBe("server-secret"); // the server keeps its own
    } finally {
      for (const [name, value] of [
        ["RALPH_HTTP_TOKEN", saved.token],
        ["SOME_AGENT_API_KEY", saved.key],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("a non-zero exit is a failed attempt with what it printed", async () => {
    const executor = new CommandExecutor({
      command: "echo 'some progress'; echo 'error: no such file' >&2; exit 3",
      timeoutMs: 10_000,
      maxOutputChars: 1000,
      killGraceMs: 1000,
    });
    expect(await executor.execute(request(""), never)).toMatchObject({
      ok: false,
      error: "The agent command exited with code 3: error: no such file",
    });
  });

  it("a command that does not read its stdin is fine", async () => {
    const executor = new CommandExecutor({
      command: "echo ok",
      timeoutMs: 10_000,
      maxOutputChars: 1000,
      killGraceMs: 1000,
    });
    expect(await executor.execute(request("x".repeat(1_000_000)), never)).toMatchObject({
      ok: true,
      output: "ok",
    });
  });

  it("output past the cap is cut, and says so", async () => {
    const executor = new CommandExecutor({
      command: "head -c 200000 /dev/zero | tr '\\0' 'a'",
      timeoutMs: 10_000,
      maxOutputChars: 1000,
      killGraceMs: 1000,
    });
    const result = await executor.execute(request(""), never);
    expect(result.ok).toBe(true);
    const output = result.ok ? result.output : "";
    expect(output.length).toBeLessThanOrEqual(1000);
    expect(output).toMatch(/^a+\n\[output cut: it was longer than the result limit\]$/);
  });

  it("a timeout kills the whole process tree and fails the attempt", async () => {
    const executor = new CommandExecutor({
      command: `sh ${sq(join(fixtures, "tree.sh"))} ${sq(dir.path)}`,
      timeoutMs: 1500,
      maxOutputChars: 1000,
      killGraceMs: 1000,
    });
    const result = await executor.execute(request(""), never);
    expect(result).toMatchObject({ ok: false });
    expect(result.ok ? "" : result.error).toMatch(
      /^The agent command timed out after 1\.5 s and was killed with its child processes/,
    );
    const pids = readFileSync(dir.file("pids-task-042-2"), "utf8").trim().split(" ").map(Number);
    expect(pids).toHaveLength(4);
    await waitFor(() => pids.every((pid) => !isAlive(pid)), { what: "the tree to be gone", timeoutMs: 5000 });
  });

  it("what a finished command left running in its group is ended, and does not hold the result back", async () => {
    const started = Date.now();
    const outcome = await runCommand({
      command: "sleep 300 & echo $!",
      input: "",
      env: {},
      timeoutMs: 60_000,
      maxOutputBytes: 1000,
      killGraceMs: 2000,
    });
    expect(outcome).toMatchObject({ kind: "exited", code: 0 });
    const pid = Number(outcome.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    await waitFor(() => !isAlive(pid), { what: "the background sleep to be ended", timeoutMs: 5000 });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("an abort kills the tree at once", async () => {
    const controller = new AbortController();
    const running = runCommand(
      {
        command: `sh ${sq(join(fixtures, "tree.sh"))} ${sq(dir.path)}`,
        input: "",
        env: { RALPH_TASK_ID: "task-001", RALPH_TASK_ATTEMPT: "1" },
        timeoutMs: 60_000,
        maxOutputBytes: 1000,
        killGraceMs: 2000,
      },
      controller.signal,
    );
    const file = dir.file("pids-task-001-1");
    await waitFor(() => existsSync(file), { what: "the tree" });
    const pids = readFileSync(file, "utf8").trim().split(" ").map(Number);
    controller.abort();
    expect((await running).kind).toBe("aborted");
    await waitFor(() => pids.every((pid) => !isAlive(pid)), { what: "the tree to be gone", timeoutMs: 5000 });
  });
});

describe("command verifier", () => {
  it("the result on stdin; exit 0 passes; what it prints is the feedback", async () => {
    const verifier = new CommandVerifier({
      command: 'if grep -q good; then echo "fine"; else echo "needs work on $RALPH_TASK_ID"; exit 1; fi',
      timeoutMs: 10_000,
      killGraceMs: 1000,
    });
    const req = (output: string) => ({
      task: { id: "task-042" } as never,
      attempt: 1,
      output,
      runId: "run-001",
    });
    expect(await verifier.verify(req("good stuff"), never)).toEqual({
      passed: true,
      confidence: 1,
      feedback: "fine",
      issues: [],
    });
    expect(await verifier.verify(req("bad stuff"), never)).toMatchObject({
      passed: false,
      feedback: "needs work on task-042",
    });
  });

  it("a silent failing check still gives feedback; a check that times out cannot judge", async () => {
    const req = { task: { id: "task-1" } as never, attempt: 1, output: "", runId: "run-001" };
    const silent = new CommandVerifier({ command: "exit 4", timeoutMs: 10_000, killGraceMs: 1000 });
    expect((await silent.verify(req, never)).feedback).toBe(
      "The check command exited with code 4 and printed nothing.",
    );
    const slow = new CommandVerifier({ command: "sleep 30", timeoutMs: 200, killGraceMs: 500 });
    await expect(slow.verify(req, never)).rejects.toThrow(/^The check command timed out after 0\.2 s/);
  });
});
