/**
 * `ralph-mcp install`: merges the server into a client's config without clobbering it, keeps a
 * backup, changes nothing when run twice, and refuses a file it cannot read as JSON.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { assertBuilt, CLI, tempDb } from "./helpers.js";

const run = promisify(execFile);

async function install(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  assertBuilt();
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, "install", ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const backups = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".bak"));

describe("ralph-mcp install", () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanups.splice(0)) fn();
  });

  it("merges into Claude Desktop's config, keeps a backup, and is idempotent", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const config = join(tmp.dir, "claude_desktop_config.json");
    const original = {
      globalShortcut: "Ctrl+Space",
      mcpServers: { other: { command: "other-server", args: ["--x"] } },
    };
    writeFileSync(config, JSON.stringify(original, null, 2));

    const first = await install("claude-desktop", "--config", config);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Added ralph-workflow to ${config}`);
    expect(first.stdout).toContain("Restart Claude Desktop");
    const merged = JSON.parse(readFileSync(config, "utf8"));
    expect(merged.globalShortcut).toBe("Ctrl+Space");
    expect(merged.mcpServers.other).toEqual(original.mcpServers.other);
    expect(merged.mcpServers["ralph-workflow"]).toEqual({ command: process.execPath, args: [CLI] });
    const [backup] = backups(tmp.dir);
    expect(backup).toBeDefined();
    expect(JSON.parse(readFileSync(join(tmp.dir, backup as string), "utf8"))).toEqual(original);

    const again = await install("claude-desktop", "--config", config);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("nothing changed");
    expect(JSON.parse(readFileSync(config, "utf8"))).toEqual(merged);
    expect(backups(tmp.dir)).toHaveLength(1);
  });

  it("updates a changed entry (with a new backup) and writes the database path when --db is given", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const config = join(tmp.dir, "config.json");
    await install("claude-desktop", "--config", config);
    expect(backups(tmp.dir)).toHaveLength(0); // nothing to back up: the file was created
    assertBuilt();
    const { stdout } = await run(process.execPath, [
      CLI,
      "--db",
      tmp.db,
      "install",
      "claude-desktop",
      "--config",
      config,
    ]);
    expect(stdout).toContain("Updated ralph-workflow");
    expect(JSON.parse(readFileSync(config, "utf8")).mcpServers["ralph-workflow"].env).toEqual({
      RALPH_DB: tmp.db,
    });
    expect(backups(tmp.dir)).toHaveLength(1);
  });

  /** A config whose ralph-workflow entry the user set up by hand (an old path, their own env). */
  function userConfig(dir: string): { config: string; userEnv: Record<string, string> } {
    const config = join(dir, "claude_desktop_config.json");
    const userEnv = {
      RALPH_DB: "/home/me/my-tasks.db",
      ANTHROPIC_API_KEY: "sk-ant-user-secret",
      RALPH_EXECUTOR_COMMAND: "claude -p",
    };
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          "ralph-workflow": { command: "/old/node", args: ["/old/cli.js"], env: userEnv, disabled: false },
        },
      }),
    );
    return { config, userEnv };
  }
  const entryIn = (config: string) => JSON.parse(readFileSync(config, "utf8")).mcpServers["ralph-workflow"];

  it("keeps the user's env (their RALPH_DB too) when --db is not given, and prints none of it", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const { config, userEnv } = userConfig(tmp.dir);
    const result = await install("claude-desktop", "--config", config);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Updated ralph-workflow");
    expect(entryIn(config)).toEqual({
      command: process.execPath,
      args: [CLI],
      env: userEnv,
      disabled: false,
    });
    expect(result.stdout).not.toContain("sk-ant-user-secret");
    expect(result.stdout).toContain(
      "Kept its other environment variables: RALPH_DB, ANTHROPIC_API_KEY, RALPH_EXECUTOR_COMMAND.",
    );
    // And again: nothing changes.
    expect((await install("claude-desktop", "--config", config)).stdout).toContain("nothing changed");
  });

  it("--db overrides RALPH_DB only; the user's other variables stay", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const { config, userEnv } = userConfig(tmp.dir);
    assertBuilt();
    const { stdout } = await run(process.execPath, [
      CLI,
      "--db",
      tmp.db,
      "install",
      "claude-desktop",
      "--config",
      config,
    ]);
    expect(entryIn(config).env).toEqual({ ...userEnv, RALPH_DB: tmp.db });
    expect(stdout).toContain(`With: RALPH_DB=${tmp.db}`);
    expect(stdout).not.toContain("sk-ant-user-secret");
  });

  const PG_URL = "postgres://ralph:s3cret-pw@db.example.com:5432/tasks";
  async function installUrl(): Promise<{ config: string; stdout: string }> {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const config = join(tmp.dir, "config.json");
    assertBuilt();
    const args = [CLI, "--db", PG_URL, "install", "claude-desktop", "--config", config];
    return { config, stdout: (await run(process.execPath, args)).stdout };
  }

  it("a postgres:// URL is written as it is, not made a path", async () => {
    const { config } = await installUrl();
    expect(entryIn(config).env).toEqual({ RALPH_DB: PG_URL });
  });

  it("the password of a URL is masked in what it prints", async () => {
    const { stdout } = await installUrl();
    expect(stdout).toContain("With: RALPH_DB=postgres://ralph:****@db.example.com:5432/tasks");
    expect(stdout).not.toContain("s3cret-pw");
  });

  it("writes Claude Code's stdio entry, through npx when asked", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const config = join(tmp.dir, ".mcp.json");
    const result = await install("claude-code", "--config", config, "--npx");
    expect(result.stdout).toContain(`Created ${config}`);
    expect(JSON.parse(readFileSync(config, "utf8"))).toEqual({
      mcpServers: { "ralph-workflow": { type: "stdio", command: "npx", args: ["-y", "ralph-mcp"] } },
    });
  });

  it("refuses a config that is not JSON, and leaves it as it was", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const config = join(tmp.dir, "broken.json");
    writeFileSync(config, "{ not json");
    const result = await install("claude-desktop", "--config", config);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/not valid JSON.*nothing was changed/);
    expect(readFileSync(config, "utf8")).toBe("{ not json");
    expect(backups(tmp.dir)).toHaveLength(0);
  });

  it("rejects an unknown client", async () => {
    const result = await install("vim");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Unknown client "vim"');
  });
});
