/**
 * MCP over stdio, end to end: add_task calls per second from a real client to a real server
 * process, one at a time and with 16 in flight, against a no-op server built with the same SDK
 * in the same run (noop-server.ts); cold start to the first answer; and the size of tools/list.
 * Prints its figures and returns them; asserts nothing.
 *
 *   npm run bench -- mcp
 *   node dist-bench/bench/mcp-stdio.js
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Client as ClientV2 } from "@modelcontextprotocol/client";
import { StdioClientTransport as StdioClientTransportV2 } from "@modelcontextprotocol/client/stdio";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport as StdioClientTransportV1 } from "@modelcontextprotocol/sdk/client/stdio.js";
import { heading, report } from "./util.js";

const RALPH = fileURLToPath(new URL("../src/cli.js", import.meta.url));
const NOOP = fileURLToPath(new URL("./noop-server.js", import.meta.url));

export interface McpStdioBenchOptions {
  /** Sequential calls measured per server and era (after a warm-up). */
  sequentialCalls?: number;
  /** Calls measured with `inFlight` outstanding at once. */
  concurrentCalls?: number;
  inFlight?: number;
  /** Alternating measurement rounds per server (the median round is reported). */
  rounds?: number;
  /** Cold starts measured per server (the median is reported). */
  coldStarts?: number;
}

export interface Throughput {
  ralph: number;
  noop: number;
  ratio: number;
  /** Server CPU (user + system) per call in µs, when /proc can tell (Linux); load-independent. */
  ralphCpuUs?: number | undefined;
  noopCpuUs?: number | undefined;
}

export interface McpStdioBenchResult {
  addTask: Record<"legacy" | "modern", { sequential: Throughput; concurrent: Throughput }>;
  coldStartMs: { ralphFreshDb: number; ralphExistingDb: number; noop: number; bareNode: number };
  toolsListBytes: number;
}

interface Caller {
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  listTools(): Promise<unknown>;
  close(): Promise<void>;
  /** The server process. */
  pid: number | null;
}

/** CPU time a process used so far, in µs (Linux /proc; undefined elsewhere). */
function cpuUs(pid: number | null): number | undefined {
  if (pid === null) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return Number.isFinite(ticks) ? ticks * 10_000 : undefined; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

function env(db: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return { ...out, RALPH_DB: db, RALPH_LOG_LEVEL: "warn" };
}

async function connect(era: "legacy" | "modern", script: string, db: string): Promise<Caller> {
  const params = { command: process.execPath, args: [script], env: env(db) };
  if (era === "legacy") {
    const client = new ClientV1({ name: "bench", version: "1" });
    const transport = new StdioClientTransportV1(params);
    await client.connect(transport);
    return Object.assign(client, { pid: transport.pid });
  }
  const client = new ClientV2(
    { name: "bench", version: "1" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  const transport = new StdioClientTransportV2(params);
  await client.connect(transport);
  return Object.assign(client, { pid: transport.pid });
}

const add = (client: Caller, i: number) =>
  client.callTool({
    name: "add_task",
    arguments: { description: `bench task ${i}`, priority: (i % 10) + 1 },
  });

async function sequential(client: Caller, calls: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < calls; i++) await add(client, i);
  return calls / ((performance.now() - start) / 1000);
}

async function concurrent(client: Caller, calls: number, inFlight: number): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < calls) await add(client, next++);
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return calls / ((performance.now() - start) / 1000);
}

/**
 * Both servers run side by side and are measured in alternating rounds (no-op, ralph, no-op, …),
 * so load from anything else on the machine falls on both alike; each figure is the median round.
 */
async function throughput(era: "legacy" | "modern", dir: string, o: Required<McpStdioBenchOptions>) {
  const servers = {
    noop: await connect(era, NOOP, join(dir, `${era}-noop.db`)),
    ralph: await connect(era, RALPH, join(dir, `${era}-ralph.db`)),
  };
  type Tally = { rates: number[]; cpuUs: number; calls: number };
  const tally = (): Tally => ({ rates: [], cpuUs: 0, calls: 0 });
  const results = {
    noop: { sequential: tally(), concurrent: tally() },
    ralph: { sequential: tally(), concurrent: tally() },
  };
  const measure = async (name: "noop" | "ralph", kind: "sequential" | "concurrent", calls: number) => {
    const client = servers[name];
    const cpuBefore = cpuUs(client.pid);
    const rate =
      kind === "sequential" ? await sequential(client, calls) : await concurrent(client, calls, o.inFlight);
    const cpuAfter = cpuUs(client.pid);
    const t = results[name][kind];
    t.rates.push(rate);
    if (cpuBefore !== undefined && cpuAfter !== undefined) {
      t.cpuUs += cpuAfter - cpuBefore;
      t.calls += calls;
    }
  };
  try {
    for (const client of [servers.noop, servers.ralph]) {
      await client.listTools(); // the 1.x client validates structuredContent once it knows the outputSchema
      await concurrent(client, 300, o.inFlight); // warm-up: JIT, SQLite page cache
    }
    for (let round = 0; round < o.rounds; round++) {
      for (const name of ["noop", "ralph"] as const) {
        await measure(name, "sequential", Math.ceil(o.sequentialCalls / o.rounds));
        await measure(name, "concurrent", Math.ceil(o.concurrentCalls / o.rounds));
      }
    }
  } finally {
    await servers.noop.close();
    await servers.ralph.close();
  }
  const pair = (kind: "sequential" | "concurrent"): Throughput => {
    const r = results.ralph[kind];
    const n = results.noop[kind];
    return {
      ralph: median(r.rates),
      noop: median(n.rates),
      ratio: median(r.rates) / median(n.rates),
      ralphCpuUs: r.calls > 0 ? r.cpuUs / r.calls : undefined,
      noopCpuUs: n.calls > 0 ? n.cpuUs / n.calls : undefined,
    };
  };
  return { sequential: pair("sequential"), concurrent: pair("concurrent") };
}

/** Spawn a server, send initialize at once, and time the first byte of its answer. */
async function coldStart(args: string[], db: string): Promise<number> {
  const start = performance.now();
  const child = spawn(process.execPath, args, { env: env(db), stdio: ["pipe", "pipe", "ignore"] });
  const initialize = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } },
  };
  child.stdin.write(`${JSON.stringify(initialize)}\n`);
  await new Promise((resolve) => child.stdout.once("data", resolve));
  const elapsed = performance.now() - start;
  child.stdin.end();
  await new Promise((resolve) => child.once("exit", resolve));
  return elapsed;
}

async function bareNode(): Promise<number> {
  const start = performance.now();
  const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return performance.now() - start;
}

export async function runMcpStdioBench(options: McpStdioBenchOptions = {}): Promise<McpStdioBenchResult> {
  const o: Required<McpStdioBenchOptions> = {
    sequentialCalls: options.sequentialCalls ?? 2_000,
    concurrentCalls: options.concurrentCalls ?? 8_000,
    rounds: options.rounds ?? 5,
    inFlight: options.inFlight ?? 16,
    coldStarts: options.coldStarts ?? 9,
  };
  const dir = mkdtempSync(join(tmpdir(), "ralph-bench-mcp-"));
  try {
    heading("MCP over stdio, ralph-mcp against a no-op server on the same SDK (issue 3)");
    const addTask = {} as McpStdioBenchResult["addTask"];
    for (const era of ["legacy", "modern"] as const) {
      addTask[era] = await throughput(era, dir, o);
      const label = era === "legacy" ? "2025-era client" : "2026-07-28 client";
      for (const [what, t] of [
        ["sequential", addTask[era].sequential],
        [`${o.inFlight} in flight`, addTask[era].concurrent],
      ] as const) {
        const cpu =
          t.ralphCpuUs === undefined
            ? undefined
            : `server CPU ${t.ralphCpuUs.toFixed(0)} vs ${t.noopCpuUs?.toFixed(0)} µs/call`;
        report(`add_task, ${label}, ${what}`, t.ralph, "calls/s", `no-op ${t.noop.toFixed(0)} calls/s`);
        report(`add_task, ${label}, ${what}: ratio to no-op`, t.ratio, "×", cpu);
      }
    }

    const fresh: number[] = [];
    const existing: number[] = [];
    const noop: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < o.coldStarts; i++) {
      fresh.push(await coldStart([RALPH], join(dir, `cold-${i}.db`)));
      existing.push(await coldStart([RALPH], join(dir, "cold-0.db")));
      noop.push(await coldStart([NOOP], join(dir, "unused.db")));
      bare.push(await bareNode());
    }
    const coldStartMs = {
      ralphFreshDb: median(fresh),
      ralphExistingDb: median(existing),
      noop: median(noop),
      bareNode: median(bare),
    };
    report("cold start to the first answer", coldStartMs.ralphExistingDb, "ms", `median of ${o.coldStarts}`);
    report("cold start to the first answer, new database", coldStartMs.ralphFreshDb, "ms");
    report("cold start of the no-op server on the same SDK", coldStartMs.noop, "ms");
    report("cold start of node itself (node -e 0)", coldStartMs.bareNode, "ms");

    const client = await connect("legacy", RALPH, join(dir, "list.db"));
    const toolsListBytes = Buffer.byteLength(JSON.stringify(await client.listTools()));
    await client.close();
    report("tools/list size", toolsListBytes, "bytes", "aim: under 9,000 bytes");
    return { addTask, coldStartMs, toolsListBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runMcpStdioBench();
}
