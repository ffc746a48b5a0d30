/**
 * `npm run bench [-- name …]`: every benchmark, or those named. Benchmarks measure and print
 * figures (with ratios against baselines measured in the same run); they assert nothing.
 */
import { benchDashboard } from "./dashboard.js";
import { benchDrivers } from "./drivers.js";
import { benchInstall } from "./install.js";
import { runMcpHttpBench } from "./mcp-http.js";
import { runMcpStdioBench } from "./mcp-stdio.js";
import { benchParallel, benchWorktrees } from "./parallel.js";
import { benchPostgresStore } from "./postgres.js";
import { benchSqliteStore } from "./store-sqlite.js";

const BENCHES: Record<string, () => Promise<void>> = {
  sqlite: benchSqliteStore,
  mcp: async () => {
    await runMcpStdioBench();
  },
  http: async () => {
    await runMcpHttpBench();
  },
  postgres: benchPostgresStore,
  dashboard: benchDashboard,
  drivers: benchDrivers,
  install: benchInstall,
  parallel: benchParallel,
  worktrees: benchWorktrees,
};

const wanted = process.argv.slice(2);
for (const [name, run] of Object.entries(BENCHES)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  await run();
}
