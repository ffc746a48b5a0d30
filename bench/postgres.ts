/**
 * Claim + complete cycles per second on PostgreSQL, with 1, 8 and 32 concurrent workers, side by
 * side in the same run on the same database:
 *
 * - ralph-mcp: the PostgreSQL TaskStore (claimNext, then complete), change feed and all;
 * - graphile-worker: default settings, a no-op task, `concurrency` = workers (and `maxPoolSize`
 *   raised to the worker count when above its default of 10, which it otherwise warns about);
 * - a bare `pg` loop of the same two statements (claim with SKIP LOCKED, complete) on a minimal jobs
 *   table: the floor of what a queue on PostgreSQL can cost.
 *
 * Each measurement runs in a fresh child process (what one library leaves behind in a process,
 * such as timers and connections, must not slow the next), starts from a fresh, equally full queue,
 * lets the workers warm up, then counts completed cycles over a fixed window: acknowledged
 * completions for ralph-mcp and the bare loop, and for graphile-worker the jobs gone from its
 * table (it reports success, and fetches its next job, before its completing DELETE has
 * committed). The three run in turn, several rounds, and the median of each is reported, so a
 * noisy neighbour on the machine hurts them alike. Prints figures; asserts nothing.
 *
 * Run alone: npx tsc -p tsconfig.bench.json && node dist-bench/bench/postgres.js
 * (wired into bench/index.ts as `postgres: benchPostgresStore`, it is `npm run bench postgres`).
 * Where: RALPH_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test); a database
 * ralph_bench_<pid> is created there and dropped afterwards.
 */
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Logger, makeWorkerUtils, run as runGraphile, runMigrations } from "graphile-worker";
import pg from "pg";
import { openPostgresStore } from "../src/store/postgres/store.js";

export interface PostgresBenchOptions {
  /** Server to create the bench database on (default RALPH_BENCH_POSTGRES_URL, else local `test`). */
  url?: string;
  /** Worker counts to measure (default [1, 8, 32]). */
  workers?: number[];
  /** Measured window per system and worker count, after warm-up (default 2 s). */
  seconds?: number;
  /** Warm-up before the window (default 0.5 s). */
  warmupSeconds?: number;
  /** Tasks queued before each measurement (default 40,000; must outlast the window). */
  queued?: number;
  /** Rounds per worker count; the median is reported (default 5). */
  rounds?: number;
  /** Where the table goes (default stdout). */
  write?: (text: string) => void;
}

export interface PostgresBenchRow {
  workers: number;
  ralph: number;
  graphile: number;
  bare: number;
}

const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test";

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Completed cycles per second in the window [warm-up end, warm-up end + seconds]. `start` runs the
 * workers until `stopped()`; `completed()` says how many cycles are done so far.
 */
async function window(
  options: Required<Pick<PostgresBenchOptions, "seconds" | "warmupSeconds">>,
  completed: () => number | Promise<number>,
  start: (stopped: () => boolean) => Promise<void>,
): Promise<number> {
  let stop = false;
  const running = start(() => stop);
  await sleep(options.warmupSeconds * 1000);
  const c0 = await completed();
  const t0 = performance.now();
  await sleep(options.seconds * 1000);
  const c1 = await completed();
  const elapsed = (performance.now() - t0) / 1000;
  stop = true;
  await running;
  return (c1 - c0) / elapsed;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

// ---------------------------------------------------------------- the bare loop

const BARE_SCHEMA = `
DROP TABLE IF EXISTS bare_jobs;
CREATE TABLE bare_jobs (
  id          bigserial PRIMARY KEY,
  priority    int NOT NULL DEFAULT 5,
  status      text NOT NULL DEFAULT 'pending',
  attempts    int NOT NULL DEFAULT 0,
  payload     text NOT NULL,
  locked_by   text,
  locked_at   timestamptz,
  finished_at timestamptz,
  result      text
);
CREATE INDEX bare_jobs_ready ON bare_jobs (priority, id) WHERE status = 'pending';`;

const BARE_CLAIM = {
  name: "bare_claim",
  text: `UPDATE bare_jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, locked_at = now()
WHERE id = (SELECT id FROM bare_jobs WHERE status = 'pending' ORDER BY priority, id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id`,
};
const BARE_COMPLETE = {
  name: "bare_complete",
  text: "UPDATE bare_jobs SET status = 'done', result = $2, finished_at = now(), locked_by = NULL WHERE id = $1",
};

async function bare(url: string, workers: number, queued: number, opts: Required<PostgresBenchOptions>) {
  const pool = new pg.Pool({ connectionString: url, max: workers });
  try {
    await pool.query(BARE_SCHEMA);
    await pool.query("INSERT INTO bare_jobs (payload) SELECT 'job ' || i FROM generate_series(1, $1) i", [
      queued,
    ]);
    await pool.query("VACUUM ANALYZE bare_jobs");
    let done = 0;
    return await window(
      opts,
      () => done,
      async (stopped) => {
        await Promise.all(
          Array.from({ length: workers }, async (_, w) => {
            while (!stopped()) {
              const { rows } = await pool.query<{ id: string }>({ ...BARE_CLAIM, values: [`w${w}`] });
              const id = rows[0]?.id;
              if (id === undefined) throw new Error("bare loop: the queue ran dry; raise `queued`");
              await pool.query({ ...BARE_COMPLETE, values: [id, "ok"] });
              done++;
            }
          }),
        );
      },
    );
  } finally {
    await pool.end();
  }
}

// ---------------------------------------------------------------- ralph-mcp

async function ralph(url: string, workers: number, queued: number, opts: Required<PostgresBenchOptions>) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query("DROP SCHEMA IF EXISTS ralph_bench CASCADE");
  const store = await openPostgresStore({
    connectionString: url,
    schema: "ralph_bench",
    poolSize: workers + 1,
  });
  try {
    for (let i = 0; i < queued; i += 500) {
      const n = Math.min(500, queued - i);
      await store.createBatch(Array.from({ length: n }, (_, j) => ({ description: `job ${i + j}` })));
    }
    await admin.query("VACUUM ANALYZE ralph_bench.tasks");
    let done = 0;
    return await window(
      opts,
      () => done,
      async (stopped) => {
        await Promise.all(
          Array.from({ length: workers }, async (_, w) => {
            const workerId = `w${w}`;
            while (!stopped()) {
              const task = await store.claimNext({ workerId });
              if (!task) throw new Error("ralph: the queue ran dry; raise `queued`");
              await store.complete(task.id, "ok", { workerId });
              done++;
            }
          }),
        );
      },
    );
  } finally {
    await store.close();
    await admin.query("DROP SCHEMA IF EXISTS ralph_bench CASCADE");
    await admin.end();
  }
}

// ---------------------------------------------------------------- graphile-worker

async function graphile(url: string, workers: number, queued: number, opts: Required<PostgresBenchOptions>) {
  const logger = new Logger(() => (level, message) => {
    if (level === "error") process.stderr.write(`graphile-worker: ${message}\n`);
  });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query("DROP SCHEMA IF EXISTS graphile_worker CASCADE");
  await runMigrations({ connectionString: url, logger });
  const utils = await makeWorkerUtils({ connectionString: url, logger });
  try {
    for (let i = 0; i < queued; i += 1000) {
      const n = Math.min(1000, queued - i);
      await utils.addJobs(
        Array.from({ length: n }, (_, j) => ({ identifier: "noop", payload: { n: i + j } })),
      );
    }
    await admin.query("VACUUM ANALYZE");
    // Completed jobs are deleted: count what is gone.
    const remaining = async () =>
      Number((await admin.query("SELECT count(*) AS n FROM graphile_worker._private_jobs")).rows[0]?.n);
    return await window(
      opts,
      async () => queued - (await remaining()),
      async (stopped) => {
        const runner = await runGraphile({
          connectionString: url,
          logger,
          concurrency: workers,
          // Its default pool (10) would starve 32 workers; graphile-worker itself warns about that.
          maxPoolSize: Math.max(10, workers),
          noHandleSignals: true,
          taskList: { noop: async () => {} },
        });
        while (!stopped()) await sleep(20);
        await runner.stop();
        if ((await remaining()) === 0) throw new Error("graphile-worker: the queue ran dry; raise `queued`");
      },
    );
  } finally {
    await utils.release();
    await admin.query("DROP SCHEMA IF EXISTS graphile_worker CASCADE");
    await admin.end();
  }
}

// ---------------------------------------------------------------- the run

const SYSTEMS = { bare, ralph, graphile } as const;
type System = keyof typeof SYSTEMS;

/** One measurement in a child process: `node postgres.js --measure <system> <workers> <url> <json options>`. */
function measureInChild(system: System, workers: number, url: string, opts: Required<PostgresBenchOptions>) {
  const { write: _write, ...plain } = opts;
  const child = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), "--measure", system, String(workers), url, JSON.stringify(plain)],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk) => {
    out += chunk;
  });
  child.stderr.on("data", (chunk) => {
    err += chunk;
  });
  return new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      const rate = Number(out.trim());
      if (code === 0 && Number.isFinite(rate)) resolve(rate);
      else reject(new Error(`${system} with ${workers} workers failed (exit ${code}): ${out}${err}`));
    });
  });
}

/** `npm run bench postgres`: prints the table. */
export async function benchPostgresStore(options: PostgresBenchOptions = {}): Promise<void> {
  await runPostgresBench(options);
}

/** Measures, prints, and returns the figures. */
export async function runPostgresBench(options: PostgresBenchOptions = {}): Promise<PostgresBenchRow[]> {
  const opts: Required<PostgresBenchOptions> = {
    url: options.url ?? process.env.RALPH_BENCH_POSTGRES_URL ?? DEFAULT_URL,
    workers: options.workers ?? [1, 8, 32],
    seconds: options.seconds ?? 2,
    warmupSeconds: options.warmupSeconds ?? 0.5,
    queued: options.queued ?? 40_000,
    rounds: options.rounds ?? 5,
    write: options.write ?? ((text) => process.stdout.write(text)),
  };
  const name = `ralph_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: opts.url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  const url = withDatabase(opts.url, name);
  const rows: PostgresBenchRow[] = [];
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(9);
  try {
    const [version] = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
      .rows;
    opts.write(
      `\nPostgreSQL ${version?.v}: claim + complete cycles/s (no-op work, ${opts.queued.toLocaleString("en-US")} queued, ` +
        `${opts.seconds} s window, median of ${opts.rounds} rounds)\n` +
        "workers  ralph-mcp  graphile-worker  bare pg loop   ralph/graphile  ralph/bare\n",
    );
    for (const workers of opts.workers) {
      const runs = { bare: [] as number[], ralph: [] as number[], graphile: [] as number[] };
      for (let round = 0; round < opts.rounds; round++) {
        for (const system of Object.keys(runs) as System[]) {
          const rate = await measureInChild(system, workers, url, opts).catch((error: Error) => {
            process.stderr.write(`${error.message}\n(measuring once more)\n`);
            return measureInChild(system, workers, url, opts);
          });
          runs[system].push(rate);
        }
      }
      const row = {
        workers,
        ralph: median(runs.ralph),
        graphile: median(runs.graphile),
        bare: median(runs.bare),
      };
      rows.push(row);
      opts.write(
        `${String(workers).padStart(7)}  ${fmt(row.ralph)}  ${fmt(row.graphile)}        ${fmt(row.bare)}   ` +
          `${(row.ralph / row.graphile).toFixed(2).padStart(13)}x  ${(row.ralph / row.bare).toFixed(2).padStart(9)}\n`,
      );
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.end();
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === "--measure") {
    const [system, workers, url, options] = process.argv.slice(3) as [System, string, string, string];
    const opts = JSON.parse(options) as Required<PostgresBenchOptions>;
    const rate = await SYSTEMS[system](url, Number(workers), opts.queued, opts);
    process.stdout.write(`${rate}\n`);
    process.exit(0);
  }
  await benchPostgresStore();
}
