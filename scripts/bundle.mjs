// Bundles the compiled CLI (dist/cli.js) into dist/bin/ralph-mcp.js with rolldown. One file (plus
// lazily loaded chunks) instead of ~150 ES modules roughly halves the time from start to the
// first MCP answer, which Claude Desktop waits for at every launch. Packages that are native,
// optional or loaded only on demand stay external and come from node_modules at run time.
import { chmodSync, rmSync } from "node:fs";
import { rolldown } from "rolldown";

const outDir = "dist/bin";
rmSync(outDir, { recursive: true, force: true });
const bundle = await rolldown({
  input: "dist/cli.js",
  platform: "node",
  external: [/^node:/, /^better-sqlite3(\/|$)/, /^pg(\/|$)/, /^@anthropic-ai\/sdk(\/|$)/, /^pino(\/|$)/],
  logLevel: "warn",
});
await bundle.write({
  dir: outDir,
  format: "esm",
  entryFileNames: "ralph-mcp.js",
  chunkFileNames: "chunks/[name]-[hash].js",
  sourcemap: true,
});
await bundle.close();
chmodSync(`${outDir}/ralph-mcp.js`, 0o755);
