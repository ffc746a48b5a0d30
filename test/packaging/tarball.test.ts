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
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertNode22, NODE22, systemNode } from "../helpers/node-lines.js";
import { tempDir } from "../helpers/tmp.js";
import { walkThrough } from "./walkthrough.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const tmp = tempDir("ralph-tarball-");
let tarball = "";
let mirror: Server | undefined;
let mirrorUrl = "";

/** A prebuilt better-sqlite3 for this Node 20, laid out as its GitHub releases are. */
function startPrebuiltMirror(): Promise<void> {
  const version = JSON.parse(
    readFileSync(join(ROOT, "node_modules/better-sqlite3/package.json"), "utf8"),
  ).version;
  const abi = execFileSync(systemNode(), ["-p", "process.versions.modules"], { encoding: "utf8" }).trim();
  const asset = `better-sqlite3-v${version}-node-v${abi}-${process.platform}-${process.arch}.tar.gz`;
  const archive = join(tmp.dir, asset);
  execFileSync("tar", [
    "-czf",
    archive,
    "-C",
    join(ROOT, "node_modules/better-sqlite3"),
    "build/Release/better_sqlite3.node",
  ]);
  const body = readFileSync(archive);
  const server = createServer((req, res) => {
    if (req.url === `/v${version}/${asset}`) {
      res.writeHead(200, { "content-type": "application/gzip", "content-length": body.length }).end(body);
    } else {
      res.writeHead(404).end();
    }
  });
  mirror = server;
  return new Promise((ready) =>
    server.listen(0, "127.0.0.1", () => {
      mirrorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      ready();
    }),
  );
}

beforeAll(async () => {
  assertNode22();
  if (!existsSync(join(ROOT, pkg.bin["ralph-mcp"])))
    throw new Error("run `npm run build` first (npm test does)");
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp.dir], {
    cwd: ROOT,
  });
  tarball = join(tmp.dir, JSON.parse(stdout)[0].filename);
  await startPrebuiltMirror();
});
afterAll(async () => {
  await new Promise((done) => (mirror ? mirror.close(done) : done(undefined)));
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

describe.each([
  { line: "Node 20", node: () => systemNode(), flags: [] as string[], driver: "better-sqlite3" },
  { line: "Node 22", node: () => NODE22, flags: ["--omit=optional"], driver: "node" },
])("npm install ./ralph-mcp-<version>.tgz on $line", ({ line, node, flags, driver }) => {
  const folder = join(tmp.dir, line.replace(" ", ""));
  let env: Record<string, string> = {};

  beforeAll(async () => {
    const bin = dirname(node());
    env = {
      ...(process.env as Record<string, string>),
      // npm, npx and install scripts all run on this line's Node.
      PATH: `${bin}:${process.env.PATH}`,
      npm_config_better_sqlite3_binary_host: mirrorUrl,
      npm_config_update_notifier: "false",
    };
    execFileSync("mkdir", ["-p", folder]);
    writeFileSync(join(folder, "package.json"), '{ "name": "empty", "private": true }\n');
    await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", ...flags, tarball], {
      cwd: folder,
      env,
    });
  }, 300_000);

  it(`installs; better-sqlite3 ${driver === "node" ? "left out" : "as a prebuilt binary"}`, () => {
    const native = join(folder, "node_modules/better-sqlite3/build/Release/better_sqlite3.node");
    expect(existsSync(join(folder, "node_modules/ralph-mcp", pkg.bin["ralph-mcp"]))).toBe(true);
    expect(existsSync(native)).toBe(driver === "better-sqlite3");
    if (driver === "node") expect(existsSync(join(folder, "node_modules/better-sqlite3"))).toBe(false);
    // The prebuilt binary came from the mirror: the very file built in this checkout, not a compile.
    else
      expect(
        readFileSync(native).equals(
          readFileSync(join(ROOT, "node_modules/better-sqlite3/build/Release/better_sqlite3.node")),
        ),
      ).toBe(true);
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
