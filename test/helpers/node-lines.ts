/**
 * The two Node lines the packaging and driver tests run on: the machine's Node 20 (where
 * better-sqlite3 is built) and the npm registry's Node 22 kept in tools/conformance (installed by
 * `npm test` through scripts/ensure-conformance.mjs), which never shadows the system Node.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

export const NODE22 = resolve(import.meta.dirname, "../../tools/conformance/node_modules/node/bin/node");

let node20: string | undefined;
/** The system Node (20): this process's when it is one, else the first `node` on PATH. */
export function systemNode(): string {
  if (node20) return node20;
  node20 = process.versions.node.startsWith("20.")
    ? process.execPath
    : execFileSync("node", ["-p", "process.execPath"], { encoding: "utf8" }).trim();
  return node20;
}

export function assertNode22(): void {
  if (!existsSync(NODE22)) {
    throw new Error(`${NODE22} is missing: run \`npm run conformance:install\` (npm test does).`);
  }
}
