// `npm test` runs the official MCP conformance suite, which needs Node 22 and lives in its own
// install (tools/conformance: a root `node` package would put Node 22 first on PATH for every npm
// script, and better-sqlite3 is built for the Node that runs the tests). Install it on first use so
// `npm install && npm test` works from a fresh clone.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

if (!existsSync("tools/conformance/node_modules/@modelcontextprotocol/conformance")) {
  process.stderr.write("Installing the MCP conformance suite into tools/conformance (once)…\n");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  execFileSync(npm, ["ci", "--prefix", "tools/conformance", "--no-audit", "--no-fund"], {
    stdio: ["ignore", 2, 2],
  });
}
