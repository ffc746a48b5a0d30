/**
 * Issue 13 over stdio, through the real process and raw lines: what the SDK's own stdio transport
 * dropped or died of. Defect 1: a message over the read limit gets an error and the server goes
 * on; a connection that closes for a reason other than stdin still runs the normal shutdown.
 * Defect 12: every malformed line gets a JSON-RPC error. Defect 10: a `__proto__` argument is
 * refused. And a broken invariant (an unhandled rejection) ends the process through the shutdown.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { type RawServer, startRaw, toolText } from "../helpers/raw-stdio.js";
import { isAlive, waitFor } from "../orchestrator/helpers.js";
import { tempDb } from "./helpers.js";

const fixtures = join(import.meta.dirname, "../fixtures");
const sq = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

function server(env: Record<string, string> = {}): { raw: RawServer; dir: string; db: string } {
  const tmp = tempDb();
  const raw = startRaw(tmp.db, {
    RALPH_EXECUTOR: "command",
    RALPH_EXECUTOR_COMMAND: `sh ${sq(join(fixtures, "hang-agent.sh"))} ${sq(tmp.dir)}`,
    RALPH_VERIFIER: "none",
    ...env,
  });
  cleanups.push(tmp.cleanup, () => raw.child.kill("SIGKILL"));
  return { raw, dir: tmp.dir, db: tmp.db };
}

/** Add a task and start a background run on it; resolves with the agent's pids once it works. */
async function agentWorking(raw: RawServer, dir: string): Promise<number[]> {
  await raw.request("tools/call", { name: "add_task", arguments: { description: "hang" } });
  const started = await raw.request("tools/call", { name: "run_orchestrator", arguments: { wait: false } });
  expect(toolText(started)).toContain("Started run-");
  const file = join(dir, "agent-task-001-1");
  const text = await waitFor(() => existsSync(file) && readFileSync(file, "utf8"), { what: "the agent" });
  const pids = text.trim().split(" ").map(Number);
  for (const pid of pids) cleanups.push(() => isAlive(pid) && process.kill(pid, "SIGKILL"));
  return pids;
}

async function taskAfterExit(db: string) {
  const store = openSqliteStore({ path: db });
  try {
    return await store.get("task-001");
  } finally {
    await store.close();
  }
}

describe("issue 13 over stdio", () => {
  it("defect 1: a message over the 10 MiB read limit gets an error with its id, and the server goes on", async () => {
    const { raw } = server();
    await raw.initialize();
    const huge = "x".repeat(11 * 1024 * 1024);
    raw.writeLine(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 77,
        method: "tools/call",
        params: { name: "complete_task", arguments: { task_id: "task-001", result: huge } },
      }),
    );
    const refused = await raw.next((m) => m.id === 77);
    expect(refused.error?.code).toBe(-32600);
    expect(refused.error?.message).toMatch(/at most 10 MiB/);
    const added = await raw.request("tools/call", {
      name: "add_task",
      arguments: { description: "still here" },
    });
    expect(toolText(added)).toBe("Created task: task-001");
    raw.child.stdin.end();
    expect(await raw.exited).toEqual({ code: 0, signal: null });
  });

  it("defect 1: a connection that closes for any reason (the client stops reading) runs the normal shutdown", async () => {
    const { raw, dir, db } = server();
    await raw.initialize();
    const pids = await agentWorking(raw, dir);
    // Over the limit while a run works: refused, the server still answers.
    raw.writeLine(
      `{"jsonrpc":"2.0","id":5,"method":"ping","params":{"pad":"${"y".repeat(11 * 1024 * 1024)}"}}`,
    );
    expect((await raw.next((m) => m.id === 5)).error?.code).toBe(-32600);
    expect((await raw.request("ping")).result).toEqual({});
    // The client stops reading (stdin stays open): the next write breaks, the wire closes.
    raw.child.stdout.destroy();
    raw.writeLine(JSON.stringify({ jsonrpc: "2.0", id: 6, method: "tools/list" }));
    expect(await raw.exited).toEqual({ code: 0, signal: null });
    for (const pid of pids) expect(isAlive(pid), `agent process ${pid}`).toBe(false);
    expect(await taskAfterExit(db)).toMatchObject({ status: "pending", attempts: 0 });
  });

  it("defect 12: every malformed line gets a JSON-RPC error, with its id when it has one", async () => {
    const { raw } = server();
    await raw.initialize();
    raw.writeLine('{"jsonrpc":"2.0","id":21,"method":"tools/list","params":"a string"}');
    raw.writeLine('{"jsonrpc":"2.0","id":22,"method":"tools/list","params":[1,2]}');
    raw.writeLine('{"jsonrpc":"1.0","id":23,"method":"tools/list"}');
    raw.writeLine('{"jsonrpc":"2.0","id":24,"method":"tools/list"');
    raw.writeLine('[{"jsonrpc":"2.0","id":25,"method":"ping"}]');
    for (const id of [21, 22, 23]) {
      const reply = await raw.next((m) => m.id === id);
      expect(reply.error?.code, `id ${id}`).toBe(-32600);
      expect(reply.error?.message).toMatch(/jsonrpc.*2\.0/);
    }
    const nulls = await waitFor(() => {
      const found = raw.messages.filter((m) => m.id === null);
      return found.length === 2 && found;
    });
    expect(nulls.map((m) => m.error?.code).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([-32700, -32600]);
    expect((await raw.request("ping")).result).toEqual({});
  });

  it("defect 10: run_orchestrator refuses a __proto__ argument, and no run starts", async () => {
    const { raw, dir } = server();
    await raw.initialize();
    await raw.request("tools/call", { name: "add_task", arguments: { description: "not to run" } });
    raw.writeLine(
      '{"jsonrpc":"2.0","id":31,"method":"tools/call","params":{"name":"run_orchestrator","arguments":{"__proto__":{"wait":false},"wait":false}}}',
    );
    const refused = await raw.next((m) => m.id === 31);
    expect(refused.error?.code).toBe(-32602);
    expect(refused.error?.message).toContain('"__proto__" is not an argument of run_orchestrator');
    const queue = await raw.request("tools/call", { name: "get_task", arguments: { task_id: "task-001" } });
    expect(toolText(queue)).toContain("pending");
    expect(existsSync(join(dir, "agents"))).toBe(false);
  });

  it("unhandledRejection: a broken invariant ends the process through the normal shutdown (exit 1)", async () => {
    const { raw, dir, db } = server({
      NODE_OPTIONS: `--import ${join(fixtures, "reject-on-signal.mjs")}`,
    });
    await raw.initialize();
    const pids = await agentWorking(raw, dir);
    raw.child.kill("SIGUSR2");
    expect(await raw.exited).toEqual({ code: 1, signal: null });
    expect(raw.stderr()).toContain("unhandled rejection");
    for (const pid of pids) expect(isAlive(pid), `agent process ${pid}`).toBe(false);
    expect(await taskAfterExit(db)).toMatchObject({ status: "pending", attempts: 0 });
  });
});
