/**
 * The npm package as a user gets it: `npm pack`'s tarball holds only what runs, and
 * `npm install ./ralph-mcp-<version>.tgz` into an empty folder, then `npx ralph-mcp --version` and
 * an MCP walk-through over stdio, work on Node 20 and on Node 22.
 *
 * - Node 22: installed with --omit=optional, so no better-sqlite3 and no native build at all: the
 *   store runs on the built-in node:sqlite.
 * - Node 20: better-sqlite3 installs as it does for most users, as a prebuilt binary that its
 *   install script (prebuild-install) downloads. The download comes from a stand-in mirror on
 *   127.0.0.1 serving the binary built in this checkout (nothing leaves the machine, and no
 *   minute-long compile). `npm run bench -- install` times the build from source.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertNode22, NODE22, systemNode } from "../helpers/node-lines.js";
import { BUILT_BINARY, startPrebuiltMirror } from "../helpers/prebuilt-mirror.js";
import { tempDir } from "../helpers/tmp.js";
import { walkThrough } from "./walkthrough.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const tmp = tempDir("ralph-tarball-");
let tarball = "";
let mirror: { url: string; close(): Promise<void> } | undefined;

const LINES = [
  { line: "Node 20", node: () => systemNode(), flags: [] as string[], driver: "better-sqlite3" },
  { line: "Node 22", node: () => NODE22, flags: ["--omit=optional"], driver: "node" },
];
/** Each line's install, started together (they overlap well: mostly unpacking); resolves to its env. */
const installs = new Map<string, Promise<Record<string, string>>>();

async function install({ line, node, flags }: (typeof LINES)[number]): Promise<Record<string, string>> {
  const folder = join(tmp.dir, line.replace(" ", ""));
  const env = {
    ...(process.env as Record<string, string>),
    // npm, npx and install scripts all run on this line's Node.
    PATH: `${dirname(node())}:${process.env.PATH}`,
    npm_config_better_sqlite3_binary_host: mirror?.url ?? "",
    npm_config_update_notifier: "false",
  };
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, "package.json"), '{ "name": "empty", "private": true }\n');
  await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", ...flags, tarball], {
    cwd: folder,
    env,
  });
  return env;
}

beforeAll(async () => {
  assertNode22();
  if (!existsSync(join(ROOT, pkg.bin["ralph-mcp"])))
    throw new Error("run `npm run build` first (npm test does)");
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp.dir], {
    cwd: ROOT,
  });
  tarball = join(tmp.dir, JSON.parse(stdout)[0].filename);
  mirror = await startPrebuiltMirror(systemNode());
  for (const l of LINES) {
    const started = install(l);
    started.catch(() => {}); // awaited (and reported) by the line's own beforeAll
    installs.set(l.line, started);
  }
});
afterAll(async () => {
  await mirror?.close();
  tmp.remove();
});

describe("npm pack", () => {
  it("holds only what runs: the bundled command, the dashboard's assets, README, LICENSE, package.json", async () => {
    const { stdout } = await run("tar", ["-tzf", tarball]);
    const files = stdout
      .trim()
      .split("\n")
      .map((f) => f.replace(/^package\//, ""));
    expect(files).toContain(pkg.bin["ralph-mcp"]);
    expect(files).toContain("package.json");
    expect(files).toContain("README.md");
    const unexpected = files.filter(
      (f) => !/^dist\/bin\/.+\.js$|^dist\/web\/.+\.(js|css)$|^(README\.md|LICENSE|package\.json)$/.test(f),
    );
    expect(unexpected).toEqual([]);
  });

  it("every package the bundled command loads at run time is a dependency (the rest is bundled in)", () => {
    const dir = join(ROOT, "dist/bin");
    const sources = readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".js"))
      .map((f) => readFileSync(join(dir, f), "utf8"));
    const loaded = new Set<string>();
    // Static imports at the start of a line, import("x") and require("x") in code (not in comments,
    // nor the require("…") strings ajv generates inside template literals).
    const pattern =
      /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"'./][^"']*)["']|(?<![`\w.])(?:import|require)\(\s*["']([^"'./][^"']*)["']\s*\)/gm;
    for (const source of sources) {
      for (const line of source.split("\n")) {
        if (/^\s*(\*|\/\/)/.test(line)) continue;
        for (const m of line.matchAll(pattern)) {
          const spec = (m[1] ?? m[2]) as string;
          if (spec.startsWith("node:") || builtinModules.includes(spec)) continue;
          loaded.add(
            spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] as string),
          );
        }
      }
    }
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies)]);
    expect([...loaded].filter((name) => !declared.has(name))).toEqual([]);
    expect([...loaded].sort()).toEqual(expect.arrayContaining(["better-sqlite3", "pg", "pino"]));
  });

  it("package.json: a bin, no main, exports nothing but package.json, engines and mcpName set", () => {
    expect(pkg.bin).toEqual({ "ralph-mcp": "dist/bin/ralph-mcp.js" });
    expect(pkg.main).toBeUndefined();
    expect(pkg.exports).toEqual({ "./package.json": "./package.json" });
    expect(pkg.engines.node).toBe(">=20.0.0");
    expect(pkg.mcpName).toMatch(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/);
    expect(pkg.optionalDependencies).toHaveProperty("better-sqlite3");
    expect(pkg.dependencies).not.toHaveProperty("better-sqlite3");
  });
});

describe.each(LINES)("npm install ./ralph-mcp-<version>.tgz on $line", ({ line, driver }) => {
  const folder = join(tmp.dir, line.replace(" ", ""));
  let env: Record<string, string> = {};

  beforeAll(async () => {
    env = (await installs.get(line)) as Record<string, string>;
  }, 300_000);

  it(`installs; better-sqlite3 ${driver === "node" ? "left out" : "as a prebuilt binary"}`, () => {
    const native = join(folder, "node_modules/better-sqlite3/build/Release/better_sqlite3.node");
    expect(existsSync(join(folder, "node_modules/ralph-mcp", pkg.bin["ralph-mcp"]))).toBe(true);
    expect(existsSync(native)).toBe(driver === "better-sqlite3");
    if (driver === "node") expect(existsSync(join(folder, "node_modules/better-sqlite3"))).toBe(false);
    // The prebuilt binary came from the mirror: the very file built in this checkout, not a compile.
    else expect(readFileSync(native).equals(readFileSync(BUILT_BINARY))).toBe(true);
  });

  it("npx ralph-mcp --version prints the version", async () => {
    const { stdout } = await run("npx", ["ralph-mcp", "--version"], { cwd: folder, env });
    expect(stdout.trim()).toBe(pkg.version);
  });

  it(`answers an MCP walk-through over stdio (npx ralph-mcp, SQLite through ${driver})`, async () => {
    const database = join(folder, "tasks.db");
    const result = await walkThrough({
      command: "npx",
      args: ["ralph-mcp"],
      env: { ...env, RALPH_DB: database, RALPH_LOG_LEVEL: "debug" },
      cwd: folder,
    });
    expect(result.server).toEqual({ name: "ralph-workflow", version: pkg.version });
    expect(result.tools).toContain("claim_next_task");
    expect(result.stderr).toMatch(new RegExp(`"driver":"${driver}".*SQLite driver chosen`));
    expect(existsSync(database)).toBe(true);
  });
});
