/**
 * Issue 13, the agent's life, through the stdio server process: cancel kills every descendant,
 * also one that left the process group with setsid (defect 11), and an agent never outlives its
 * server, even one killed with -9, so a task re-claimed after its lease never has two live
 * executions (defect 2).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { type RawServer, startRaw, toolText } from "../helpers/raw-stdio.js";
import { tempDb } from "../mcp/helpers.js";
import { isAlive, waitFor } from "./helpers.js";

const fixtures = join(import.meta.dirname, "../fixtures");
const sq = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
const LEASE_MS = 3000;

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

function server(tmp: { dir: string; db: string }): RawServer {
  const config = join(tmp.dir, "config.json");
  writeFileSync(config, JSON.stringify({ leaseMs: LEASE_MS, heartbeatMs: 500, staleRunMs: LEASE_MS }));
  const raw = startRaw(tmp.db, {
    RALPH_EXECUTOR: "command",
    RALPH_EXECUTOR_COMMAND: `sh ${sq(join(fixtures, "hang-agent.sh"))} ${sq(tmp.dir)}`,
    RALPH_VERIFIER: "none",
    RALPH_CONFIG: config,
  });
  cleanups.push(() => raw.child.kill("SIGKILL"));
  return raw;
}

/** Start a background run; resolves with its id and the pids of attempt `attempt`'s agent tree. */
async function startRun(
  raw: RawServer,
  dir: string,
  attempt: number,
): Promise<{ runId: string; pids: number[] }> {
  const started = await raw.request("tools/call", { name: "run_orchestrator", arguments: { wait: false } });
  const runId = /run-\d+/.exec(toolText(started))?.[0];
  expect(runId, toolText(started)).toBeDefined();
  const file = join(dir, `agent-task-001-${attempt}`);
  const text = await waitFor(() => existsSync(file) && readFileSync(file, "utf8"), { what: "the agent" });
  const pids = text.trim().split(" ").map(Number);
  for (const pid of pids) cleanups.push(() => isAlive(pid) && process.kill(pid, "SIGKILL"));
  expect(pids.every(isAlive)).toBe(true);
  return { runId: runId as string, pids };
}

describe("an agent's life", () => {
  it("defect 11: cancel kills every descendant, also one that left the group with setsid", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const raw = server(tmp);
    await raw.initialize();
    await raw.request("tools/call", { name: "add_task", arguments: { description: "hang" } });
    const { runId, pids } = await startRun(raw, tmp.dir, 1);
    const cancelled = await raw.request("tools/call", {
      name: "run_orchestrator",
      arguments: { run_id: runId, cancel: true },
    });
    expect(toolText(cancelled)).toContain(runId);
    await waitFor(() => pids.every((pid) => !isAlive(pid)), {
      what: "the whole tree to be gone",
      timeoutMs: 5000,
    });
  });

  it("defect 2: after kill -9 of the server its agent dies within the lease, so the re-claimed task runs once at a time", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const first = server(tmp);
    await first.initialize();
    await first.request("tools/call", { name: "add_task", arguments: { description: "hang" } });
    const before = await startRun(first, tmp.dir, 1);
    first.child.kill("SIGKILL");
    await first.exited;
    await waitFor(() => before.pids.every((pid) => !isAlive(pid)), {
      what: "the dead server's agent tree to be gone",
      timeoutMs: 5000,
    });
    const store = openSqliteStore({ path: tmp.db });
    const held = await store.get("task-001");
    await store.close();
    expect(held.status).toBe("in_progress"); // still held: its lease has not run out yet
    expect(Date.now()).toBeLessThan(Date.parse(held.lease_expires_at as string));

    // Once the lease runs out, another server takes the task again; the old agent is long gone.
    await waitFor(() => Date.now() > Date.parse(held.lease_expires_at as string) + 50, {
      timeoutMs: LEASE_MS * 2,
    });
    const second = server(tmp);
    await second.initialize();
    const after = await startRun(second, tmp.dir, 2);
    expect(before.pids.some(isAlive)).toBe(false);
    expect(readFileSync(join(tmp.dir, "agents"), "utf8").trim().split("\n")).toHaveLength(2);
    second.child.stdin.end();
    expect((await second.exited).code).toBe(0);
    await waitFor(() => after.pids.every((pid) => !isAlive(pid)), { what: "the second agent to be gone" });
  });
});
