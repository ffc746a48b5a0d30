/**
 * The MCP bundle as Claude Desktop runs it: `npm run bundle`'s .mcpb, unpacked into a temporary
 * folder by the official mcpb CLI, its mcp_config made by @anthropic-ai/mcpb's own
 * getMcpConfigForManifest (the code Claude Desktop uses: ${__dirname} and the user_config values
 * substituted), and started on Node 22 with nothing but the bundle: no better-sqlite3, no native
 * binary, no project node_modules above it. It must answer initialize, tools/list and
 * add → claim → complete, and keep its store where user_config said.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { getMcpConfigForManifest, type McpbManifestAny } from "@anthropic-ai/mcpb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqliteDatabase } from "../../src/store/sqlite/driver.js";
import { assertNode22, NODE22 } from "../helpers/node-lines.js";
import { tempDir } from "../helpers/tmp.js";
import { walkThrough } from "./walkthrough.js";

const ROOT = resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string, prefix = ""): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

describe("the MCP bundle (.mcpb)", () => {
  const tmp = tempDir("ralph-mcpb-");
  const bundle = join(tmp.dir, `ralph-mcp-${pkg.version}.mcpb`);
  const installed = join(tmp.dir, "Claude Extensions", "ralph-mcp");
  let files: string[] = [];
  /** dist/'s files (what a client started from dist/bin runs) before and after the bundle is built. */
  const distFiles = () =>
    existsSync(join(ROOT, "dist"))
      ? filesUnder(join(ROOT, "dist")).map((f) => {
          const s = statSync(join(ROOT, "dist", f));
          return `${f} ${s.ino} ${s.mtimeMs}`;
        })
      : [];
  let distBefore: string[] = [];
  let distAfter: string[] = [];

  beforeAll(() => {
    assertNode22();
    distBefore = distFiles();
    execFileSync(process.execPath, [join(ROOT, "scripts/mcpb.mjs"), "--quiet", "--out", bundle], {
      cwd: ROOT,
      stdio: "ignore",
    });
    distAfter = distFiles();
    execFileSync(join(ROOT, "node_modules/.bin/mcpb"), ["unpack", bundle, installed], { stdio: "ignore" });
    files = filesUnder(installed);
  });
  afterAll(() => tmp.remove());

  it("is built in a staging folder of its own: dist/ is left alone, nothing is left behind", () => {
    expect(distBefore.length).toBeGreaterThan(0); // npm test builds dist/ first
    expect(distAfter).toEqual(distBefore);
    expect(readdirSync(ROOT).filter((name) => name.startsWith(".mcpb-"))).toEqual([]);
  });

  it("is small and holds no native binary and no better-sqlite3", () => {
    const size = statSync(bundle).size;
    expect(size).toBeLessThan(2 * 1024 * 1024);
    expect(files).toContain("manifest.json");
    expect(files).toContain("icon.png");
    expect(files).toContain(pkg.bin["ralph-mcp"]);
    expect(files.filter((f) => f.endsWith(".node"))).toEqual([]);
    expect(files.filter((f) => /(^|\/)better-sqlite3\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".map") || f.startsWith("src/") || f.startsWith("test/"))).toEqual(
      [],
    );
  });

  it("started the way Claude Desktop starts it, on Node 22: initialize, tools/list, add → claim → complete", async () => {
    const manifest = JSON.parse(readFileSync(join(installed, "manifest.json"), "utf8")) as McpbManifestAny;
    const database = join(tmp.dir, "chosen by the user", "my-tasks.db");
    const home = join(tmp.dir, "home");
    const config = await getMcpConfigForManifest({
      manifest,
      extensionPath: installed,
      systemDirs: {
        HOME: home,
        DESKTOP: join(home, "Desktop"),
        DOCUMENTS: join(home, "Documents"),
        DOWNLOADS: home,
      },
      userConfig: { database },
      pathSeparator: "/",
    });
    if (!config) throw new Error("no mcp_config for the manifest (a required user_config value missing?)");
    expect(config.command).toBe("node");
    expect(config.args).toEqual([join(installed, "dist/bin/ralph-mcp.js")]);
    expect(config.env).toMatchObject({
      RALPH_DB: database,
      ANTHROPIC_API_KEY: "",
      RALPH_EXECUTOR_COMMAND: "",
    });

    // Claude Desktop runs "node" with the Node it ships; here the registry's Node 22. Its env is the
    // config's plus a PATH and a HOME: nothing of this project's (no RALPH_SQLITE_DRIVER either).
    const result = await walkThrough({
      command: NODE22,
      args: config.args ?? [],
      env: { ...(config.env ?? {}), PATH: `${dirname(NODE22)}:/usr/bin:/bin`, HOME: home },
      cwd: tmp.dir,
    });
    expect(result.server).toEqual({ name: "ralph-workflow", version: pkg.version });
    expect(result.tools).toEqual((manifest.tools ?? []).map((t) => t.name));
    expect(result.stderr).not.toMatch(/ExperimentalWarning|Error/);

    // The store is where user_config said, and holds the completed task.
    expect(existsSync(database)).toBe(true);
    const db = openSqliteDatabase(database, { readonly: true });
    try {
      expect(db.prepare("SELECT status, result FROM tasks").all()).toEqual([
        { status: "completed", result: "Servers speak in streams" },
      ]);
    } finally {
      db.close();
    }
  });
});
