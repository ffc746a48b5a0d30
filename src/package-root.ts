/**
 * Where this installation of ralph-mcp lives, found by walking up from this module to the
 * package.json named ralph-mcp. Robust to where the code sits: dist/, the bundled dist/bin/, or
 * the TypeScript sources under a test runner.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let found: { root: string; version: string } | null | undefined;

function find(): { root: string; version: string } | null {
  if (found !== undefined) return found;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "ralph-mcp") {
        found = { root: dir, version: pkg.version ?? "0.0.0" };
        return found;
      }
    } catch {
      // no package.json here: keep climbing
    }
    const up = dirname(dir);
    if (up === dir) {
      found = null;
      return found;
    }
    dir = up;
  }
}

export function packageVersion(): string {
  return find()?.version ?? "0.0.0";
}

/** The command users run (the bundled entry), as an absolute path. */
export function cliPath(): string {
  const root = find()?.root ?? process.cwd();
  return join(root, "dist", "bin", "ralph-mcp.js");
}

/** The folder this installation of ralph-mcp lives in (where its package.json is). */
export function packageRoot(): string {
  return find()?.root ?? process.cwd();
}
