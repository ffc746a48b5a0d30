/**
 * The agent's output streams into the store as a bounded tail per execution, so another process
 * can follow it while it runs; past 64 KB the oldest lines are dropped with a note.
 */
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { OUTPUT_TAIL_BYTES } from "../../src/domain/run.js";
import { OutputTail } from "../../src/orchestrator/output-tail.js";
import { RunRegistry } from "../../src/orchestrator/registry.js";
import { cli, ensureBuilt } from "./git-helpers.js";
import { makeStore, sq, testOptions, useStore, waitFor } from "./helpers.js";

beforeAll(ensureBuilt, 120_000);
const ctx = useStore();

describe("the agent's output tail", () => {
  it("streams into the store while the agent works; another process reads it; it stays at the end", async () => {
    await ctx.store.create({ description: "Talk" });
    const go = ctx.dir.file("go");
    const agent = `echo "first line"; echo "to stderr" >&2; while [ ! -e ${sq(go)} ]; do sleep 0.01; done; echo "last line"`;
    const runs = new RunRegistry({
      store: ctx.store,
      options: testOptions({ executor: "command", executorCommand: agent }),
    });
    const handle = await runs.start();
    const other = makeStore(ctx.dir);
    try {
      const live = await waitFor(
        async () => {
          const [o] = await other.runs.outputs(handle.id);
          return o?.text.includes("to stderr") && o;
        },
        { what: "the output so far in the store" },
      );
      expect(live).toMatchObject({ task_id: "task-001", attempt: 1, worker: 1, dropped_bytes: 0 });
      expect(live.text).toContain("first line\n");
      expect(live.text).not.toContain("last line");
      writeFileSync(go, "");
      await handle.done;
      const [end] = await other.runs.outputs(handle.id);
      expect(end?.text).toMatch(/first line\n[\s\S]*last line\n$/);
    } finally {
      await other.close();
    }
    expect(existsSync(go)).toBe(true);
  });

  it("past 64 KB the oldest lines are dropped, with a note saying how much", async () => {
    await ctx.store.create({ description: "Talk a lot" });
    const runs = new RunRegistry({
      store: ctx.store,
      options: testOptions({ executor: "command", executorCommand: "seq 1 40000" }),
    });
    const run = await (await runs.start()).done;
    const [o] = await ctx.store.runs.outputs(run.id);
    expect(Buffer.byteLength(o?.text ?? "")).toBeLessThanOrEqual(OUTPUT_TAIL_BYTES + 100);
    expect(o?.text).toMatch(/^\[… \d+ bytes of earlier output dropped\]\n\d+\n/);
    expect(o?.text.endsWith("39999\n40000\n")).toBe(true);
    expect(o?.dropped_bytes).toBe(
      Buffer.byteLength(Array.from({ length: 40000 }, (_, i) => `${i + 1}\n`).join("")) -
        Buffer.byteLength(o?.text.slice(o.text.indexOf("\n") + 1) ?? ""),
    );
  });

  it("drops whole lines; a line longer than the tail is cut", () => {
    const tail = new OutputTail(10);
    tail.append("aaa\nbbb\n");
    tail.append("ccc\n");
    expect(tail.view()).toEqual({
      text: "[… 4 bytes of earlier output dropped]\nbbb\nccc\n",
      dropped_bytes: 4,
    });
    tail.append("x".repeat(30));
    const { text, dropped_bytes } = tail.view();
    expect(text).toMatch(/dropped\]\nx+$/); // the end of the long line is kept
    expect(dropped_bytes).toBe(4 + 8 + 30 - (text.length - text.indexOf("\n") - 1));
  });

  it("ralph-mcp runs watch ID follows a run of another process: its output as it comes, then its end", async () => {
    await ctx.store.create({ description: "Talk" });
    const go = ctx.dir.file("go");
    const agent = `echo "hello from the agent"; while [ ! -e ${sq(go)} ]; do sleep 0.01; done; echo "bye"`;
    const runs = new RunRegistry({
      store: ctx.store,
      options: testOptions({ executor: "command", executorCommand: agent }),
    });
    const handle = await runs.start();
    const child = spawn(
      process.execPath,
      [cli, "--db", ctx.dir.file("tasks.db"), "runs", "watch", handle.id],
      {
        env: { ...process.env, RALPH_LOG_LEVEL: "warn", RALPH_DB: "" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    await waitFor(() => stdout.includes("task-001 attempt 1 (w1) │ hello from the agent"), {
      what: "the agent's output in the watcher",
      timeoutMs: 30_000, // a CLI process starting on a loaded machine
    });
    expect(stdout).toMatch(/run-001 running \(task-001 attempt 1 executing\)/);
    writeFileSync(go, "");
    expect(await exited).toBe(0);
    expect(stdout).toContain("│ bye");
    expect(stdout).toMatch(/run-001 finished: /);
    await handle.done;
  });
});
