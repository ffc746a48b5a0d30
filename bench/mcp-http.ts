/**
 * MCP over Streamable HTTP under load: 32 clients at once (half 2025-era sessions on the 1.x SDK,
 * half 2026-07-28 clients on v2), each adding a task and claiming one in a loop, against
 * `ralph-mcp serve --http` and against a no-op server built with the same SDK and plumbing
 * (noop-http-server.ts), in alternating rounds of the same run. Reports calls per second, p50 and
 * p99 latency, errors, and, from the store afterwards, tasks lost (acknowledged but missing) and
 * tasks claimed twice. Asserts nothing.
 *
 *   npm run bench -- http              # 30 s per server
 *   BENCH_MS=5000 npm run bench -- http
 *   BENCH_ERA=legacy|modern npm run bench -- http   # all 32 clients of one era
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from "@modelcontextprotocol/client";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as HttpV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { openSqliteStore } from "../src/store/sqlite/store.js";
import { heading, percentile, report } from "./util.js";

const RALPH = fileURLToPath(new URL("../src/cli.js", import.meta.url));
const NOOP = fileURLToPath(new URL("./noop-http-server.js", import.meta.url));

export interface McpHttpBenchOptions {
  /** Measured time per server, split over `rounds` (default BENCH_MS, else 30 s). */
  ms?: number;
  /** Clients at once (default 32; half of each era). */
  clients?: number;
  /** Alternating rounds per server (default 3). */
  rounds?: number;
}

interface Caller {
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

interface Tally {
  latencies: number[];
  calls: number;
  errors: number;
  elapsedMs: number;
  added: string[];
  claimed: string[];
  firstErrors: string[];
}

interface Server {
  child: ChildProcess;
  url: string;
}

function env(db: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return { ...out, RALPH_DB: db, RALPH_LOG_LEVEL: "info" };
}

/** CPU time a process used so far, in µs (Linux /proc; undefined elsewhere). */
function cpuUs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10_000 : undefined;
  } catch {
    return undefined;
  }
}

async function startRalph(db: string): Promise<Server> {
  const child = spawn(process.execPath, [RALPH, "serve", "--http", "--port", "0"], {
    env: env(db),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr?.setEncoding("utf8");
  for await (const chunk of child.stderr ?? []) {
    log += chunk;
    const match = /"url":"([^"]+)"/.exec(log);
    if (match?.[1]) {
      child.stderr?.resume();
      return { child, url: match[1] };
    }
  }
  throw new Error(`ralph-mcp serve --http did not start:\n${log}`);
}

async function startNoop(): Promise<Server> {
  const child = spawn(process.execPath, [NOOP], { stdio: ["ignore", "pipe", "inherit"] });
  child.stdout?.setEncoding("utf8");
  let out = "";
  for await (const chunk of child.stdout ?? []) {
    out += chunk;
    const line = out.split("\n")[0];
    if (out.includes("\n") && line) return { child, url: line.trim() };
  }
  throw new Error("the no-op HTTP server did not start");
}

async function connect(url: string, i: number): Promise<Caller> {
  if (process.env.BENCH_ERA === "legacy" || (process.env.BENCH_ERA !== "modern" && i % 2 === 0)) {
    const client = new ClientV1({ name: `bench-${i}`, version: "1" });
    await client.connect(new HttpV1(new URL(url)));
    return client;
  }
  const client = new ClientV2(
    { name: `bench-${i}`, version: "1" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  await client.connect(new HttpV2(new URL(url)));
  return client;
}

/** Every client adds a task and claims one, over and over, until `ms` have passed. */
async function load(callers: Caller[], ms: number, tally: Tally): Promise<void> {
  const start = performance.now();
  const deadline = start + ms;
  const timed = async (caller: Caller, name: string, args: Record<string, unknown>) => {
    const t0 = performance.now();
    try {
      const result = (await caller.callTool({ name, arguments: args })) as {
        isError?: boolean;
        structuredContent?: { task?: { id?: string } | null };
        content?: Array<{ text?: string }>;
      };
      tally.latencies.push(performance.now() - t0);
      tally.calls++;
      if (result.isError) {
        tally.errors++;
        if (tally.firstErrors.length < 3) tally.firstErrors.push(`${name}: ${result.content?.[0]?.text}`);
        return undefined;
      }
      return result.structuredContent?.task?.id;
    } catch (error) {
      tally.calls++;
      tally.errors++;
      if (tally.firstErrors.length < 3) tally.firstErrors.push(`${name}: ${(error as Error).message}`);
      return undefined;
    }
  };
  await Promise.all(
    callers.map(async (caller, i) => {
      let n = 0;
      while (performance.now() < deadline) {
        const id = await timed(caller, "add_task", {
          description: `bench ${i}.${n++}`,
          priority: (n % 10) + 1,
        });
        if (id) tally.added.push(id);
        const claimed = await timed(caller, "claim_next_task", {});
        if (claimed) tally.claimed.push(claimed);
      }
    }),
  );
  tally.elapsedMs += performance.now() - start;
}

export interface McpHttpBenchResult {
  callsPerSecond: { ralph: number; noop: number; ratio: number };
  p50Ms: { ralph: number; noop: number };
  p99Ms: { ralph: number; noop: number };
  errors: { ralph: number; noop: number };
  tasksLost: number;
  claimedTwice: number;
  serverCpuUsPerCall: { ralph?: number | undefined; noop?: number | undefined };
}

export async function runMcpHttpBench(options: McpHttpBenchOptions = {}): Promise<McpHttpBenchResult> {
  const ms = options.ms ?? (Number(process.env.BENCH_MS) || 30_000);
  const clients = options.clients ?? 32;
  const rounds = options.rounds ?? 3;
  const dir = mkdtempSync(join(tmpdir(), "ralph-bench-http-"));
  const db = join(dir, "tasks.db");
  const servers = { ralph: await startRalph(db), noop: await startNoop() };
  const blank = (): Tally => ({
    latencies: [],
    calls: 0,
    errors: 0,
    elapsedMs: 0,
    added: [],
    claimed: [],
    firstErrors: [],
  });
  const tallies = { ralph: blank(), noop: blank() };
  const cpu = { ralph: 0, noop: 0 };
  const callers = { ralph: [] as Caller[], noop: [] as Caller[] };
  try {
    heading(
      `MCP over Streamable HTTP: ${clients} clients adding and claiming, ${ms / 1000} s per server (issue 5)`,
    );
    for (const name of ["noop", "ralph"] as const) {
      for (let i = 0; i < clients; i++) callers[name].push(await connect(servers[name].url, i));
      await load(callers[name], 1_000, blank()); // warm-up: JIT, connections, SQLite page cache
    }
    const warmAdded = await countTasks(db);
    for (let round = 0; round < rounds; round++) {
      for (const name of ["noop", "ralph"] as const) {
        const pid = servers[name].child.pid;
        const before = cpuUs(pid);
        await load(callers[name], ms / rounds, tallies[name]);
        const after = cpuUs(pid);
        if (before !== undefined && after !== undefined) cpu[name] += after - before;
      }
    }
    for (const name of ["noop", "ralph"] as const) for (const c of callers[name]) await c.close();

    // What the store holds must be exactly what was acknowledged.
    const store = openSqliteStore({ path: db });
    let lost = 0;
    try {
      for (const id of tallies.ralph.added) {
        try {
          await store.get(id);
        } catch {
          lost++;
        }
      }
      const total = await countTasks(db);
      if (total !== warmAdded + tallies.ralph.added.length) {
        process.stdout.write(
          `  note: the store holds ${total} tasks, ${warmAdded} from the warm-up and ${tallies.ralph.added.length} acknowledged\n`,
        );
      }
    } finally {
      await store.close();
    }
    const claimedTwice = tallies.ralph.claimed.length - new Set(tallies.ralph.claimed).size;

    const rate = (t: Tally) => (t.calls / t.elapsedMs) * 1000;
    const result: McpHttpBenchResult = {
      callsPerSecond: {
        ralph: rate(tallies.ralph),
        noop: rate(tallies.noop),
        ratio: rate(tallies.ralph) / rate(tallies.noop),
      },
      p50Ms: { ralph: percentile(tallies.ralph.latencies, 50), noop: percentile(tallies.noop.latencies, 50) },
      p99Ms: { ralph: percentile(tallies.ralph.latencies, 99), noop: percentile(tallies.noop.latencies, 99) },
      errors: { ralph: tallies.ralph.errors, noop: tallies.noop.errors },
      tasksLost: lost,
      claimedTwice,
      serverCpuUsPerCall: {
        ralph: cpu.ralph > 0 ? cpu.ralph / tallies.ralph.calls : undefined,
        noop: cpu.noop > 0 ? cpu.noop / tallies.noop.calls : undefined,
      },
    };
    const r = result;
    report(
      "calls/s (add_task + claim_next_task)",
      r.callsPerSecond.ralph,
      "calls/s",
      `no-op ${r.callsPerSecond.noop.toFixed(0)} calls/s`,
    );
    report("calls/s: ratio to the no-op server", r.callsPerSecond.ratio, "×");
    report("latency p50", r.p50Ms.ralph, "ms", `no-op ${r.p50Ms.noop.toFixed(2)} ms`);
    report("latency p99", r.p99Ms.ralph, "ms", `no-op ${r.p99Ms.noop.toFixed(2)} ms`);
    report("errors", r.errors.ralph, "calls", `no-op ${r.errors.noop}; aim: 0`);
    report(
      "tasks acknowledged",
      tallies.ralph.added.length,
      "tasks",
      `${tallies.ralph.claimed.length} claimed`,
    );
    report("tasks lost (acknowledged, not in the store)", r.tasksLost, "tasks", "must be 0");
    report("tasks claimed twice", r.claimedTwice, "tasks", "must be 0");
    if (r.serverCpuUsPerCall.ralph !== undefined) {
      report(
        "server CPU per call",
        r.serverCpuUsPerCall.ralph,
        "µs",
        `no-op ${r.serverCpuUsPerCall.noop?.toFixed(0)} µs`,
      );
    }
    for (const line of [...tallies.ralph.firstErrors, ...tallies.noop.firstErrors]) {
      process.stdout.write(`  error: ${line}\n`);
    }
    return result;
  } finally {
    for (const s of [servers.ralph, servers.noop]) {
      s.child.kill("SIGTERM");
      if (s.child.exitCode === null) await once(s.child, "exit");
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

async function countTasks(db: string): Promise<number> {
  const store = openSqliteStore({ path: db });
  try {
    return (await store.stats()).total;
  } finally {
    await store.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runMcpHttpBench();
}
