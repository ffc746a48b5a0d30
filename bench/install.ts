/**
 * `npm run bench -- install` (issue 12): how long `npm install ./ralph-mcp-<version>.tgz` takes in
 * an empty folder, in one run, on:
 *   - Node 20 with better-sqlite3 built from source (the baseline: what a user gets where no
 *     prebuilt binary fits, and it needs a C++ toolchain);
 *   - Node 20 with better-sqlite3's prebuilt binary (what most Node 20 users get), downloaded from a
 *     stand-in mirror on 127.0.0.1 (test/helpers/prebuilt-mirror.ts);
 *   - Node 22 with --omit=optional: no native module at all, SQLite from node:sqlite.
 * npm's cache is warmed by a first, untimed install, so the figures compare the installs, not the
 * registry's latency. The tarball is packed from the current build (run `npm run build` first).
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { BUILT_BINARY, startPrebuiltMirror } from "../test/helpers/prebuilt-mirror.js";
import { heading, report, tempDir } from "./util.js";

const ROOT = resolve(import.meta.dirname, "../..");
const NODE22 = join(ROOT, "tools/conformance/node_modules/node/bin/node");

const run = promisify(execFile);

/** One install, timed. Asynchronous: the stand-in mirror answers from this process's event loop. */
async function timedInstall(
  dir: string,
  name: string,
  node: string,
  tarball: string,
  flags: string[],
  env: Record<string, string>,
): Promise<number> {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, "package.json"), '{ "name": "empty", "private": true }\n');
  const start = performance.now();
  await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", ...flags, tarball], {
    cwd: folder,
    timeout: 20 * 60_000,
    env: {
      ...process.env,
      ...env,
      PATH: `${dirname(node)}:${process.env.PATH}`,
      npm_config_update_notifier: "false",
    },
  });
  return (performance.now() - start) / 1000;
}

export async function benchInstall(): Promise<void> {
  heading("npm install ./ralph-mcp-<version>.tgz into an empty folder (issue 12)");
  if (!existsSync(NODE22)) {
    process.stdout.write(`  skipped: ${NODE22} is missing (npm run conformance:install)\n`);
    return;
  }
  const tmp = tempDir();
  const mirror = await startPrebuiltMirror(process.execPath);
  try {
    const packed = execFileSync(
      "npm",
      ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp.dir],
      {
        cwd: ROOT,
        encoding: "utf8",
      },
    );
    const tarball = join(tmp.dir, JSON.parse(packed)[0].filename);
    const prebuilt = { npm_config_better_sqlite3_binary_host: mirror.url };
    await timedInstall(tmp.dir, "warm-up", process.execPath, tarball, [], prebuilt);
    const fromSource = await timedInstall(tmp.dir, "node20-source", process.execPath, tarball, [], {
      npm_config_build_from_source: "true",
    });
    const download = await timedInstall(tmp.dir, "node20-prebuilt", process.execPath, tarball, [], prebuilt);
    const builtin = await timedInstall(tmp.dir, "node22", NODE22, tarball, ["--omit=optional"], {});
    report("Node 20, better-sqlite3 built from source (baseline)", fromSource, "s");
    report(
      "Node 20, better-sqlite3 prebuilt binary",
      download,
      "s",
      `${(download / fromSource).toFixed(2)} × baseline`,
    );
    report(
      "Node 22, --omit=optional (node:sqlite, no native module)",
      builtin,
      "s",
      `${(builtin / fromSource).toFixed(2)} × baseline`,
    );
  } finally {
    await mirror.close();
    tmp.remove();
  }
}
