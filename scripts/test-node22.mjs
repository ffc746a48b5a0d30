// `npm run test:node22` (part of `npm test`): the SQLite store's tests again, on Node 22 with the
// built-in node:sqlite driver (RALPH_SQLITE_DRIVER=node), so every SQLite test passes on both
// drivers: the contract suite, the multi-process and kill -9 tests, the schema, the write queue,
// the store's faults, the run store and the driver seam. Node 22 is the npm registry's `node` package, kept in
// tools/conformance so it never shadows the system Node (better-sqlite3 is built for that one).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";

const NODE22 = "tools/conformance/node_modules/node/bin/node";
/** Every store test file but the PostgreSQL-only ones (test/store/postgres*), and the run store's. */
const FILES = [
  ...readdirSync("test/store")
    .filter((f) => f.endsWith(".test.ts") && !f.startsWith("postgres"))
    .map((f) => `test/store/${f}`),
  "test/orchestrator/run-store.test.ts",
];

if (!existsSync(NODE22)) {
  process.stderr.write(`${NODE22} is missing: run \`npm run conformance:install\` first.\n`);
  process.exit(1);
}
const result = spawnSync(
  NODE22,
  ["node_modules/vitest/vitest.mjs", "run", ...FILES, ...process.argv.slice(2)],
  {
    stdio: "inherit",
    env: { ...process.env, RALPH_SQLITE_DRIVER: "node" },
  },
);
process.exit(result.status ?? 1);
