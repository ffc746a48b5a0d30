/**
 * `ralph-mcp install claude-desktop|claude-code`: add this server to the client's MCP config.
 * The file is merged, never clobbered: other servers and settings stay as they are (in our own
 * entry too: its other env variables, and RALPH_DB unless --db is given), the previous
 * file is kept as a timestamped backup, the write is atomic (temp file + rename), and running it
 * twice changes nothing the second time.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import type { Command } from "commander";
import { ValidationError } from "../domain/errors.js";
import { SERVER_NAME } from "../mcp/identity.js";
import { cliPath } from "../package-root.js";
import { isPostgresUrl } from "../store/open.js";

export const CLIENTS = ["claude-desktop", "claude-code"] as const;
export type Client = (typeof CLIENTS)[number];

export interface ServerEntry {
  type?: "stdio";
  command: string;
  args: string[];
  env?: Record<string, string>;
}

export interface InstallResult {
  path: string;
  action: "created" | "added" | "updated" | "unchanged";
  backup: string | null;
  /** The entry as it is in the file now (merged with what was there). */
  entry: ServerEntry;
}

/** Where each client keeps its MCP servers by default. */
export function defaultConfigPath(client: Client, scope: "user" | "project" = "user"): string {
  if (client === "claude-code")
    return scope === "project" ? resolve(".mcp.json") : join(homedir(), ".claude.json");
  switch (process.platform) {
    case "darwin":
      return join(homedir(), "Library", "Application Support", "Claude", "claude_desktop_config.json");
    case "win32":
      return join(
        process.env.APPDATA || join(homedir(), "AppData", "Roaming"),
        "Claude",
        "claude_desktop_config.json",
      );
    default:
      return join(
        process.env.XDG_CONFIG_HOME || join(homedir(), ".config"),
        "Claude",
        "claude_desktop_config.json",
      );
  }
}

/**
 * How the client should start this server: through npx when this copy runs from npx's cache
 * (or when asked), else this installation's own cli.js with the node running now, which works
 * even when the client's PATH does not have node (GUI apps on macOS often do not).
 */
export function serverEntry(options: {
  client: Client;
  npx?: boolean;
  db?: string | undefined;
}): ServerEntry {
  const cli = cliPath();
  const viaNpx = options.npx === true || cli.includes(`${sep}_npx${sep}`);
  const entry: ServerEntry = viaNpx
    ? { command: "npx", args: ["-y", "ralph-mcp"] }
    : { command: process.execPath, args: [cli] };
  const db = options.db?.trim();
  if (db) entry.env = { RALPH_DB: isPostgresUrl(db) || db === ":memory:" ? db : resolve(db) };
  return options.client === "claude-code" ? { type: "stdio", ...entry } : entry;
}

/** A URL's password replaced by `****`, for printing; anything else as it is. */
export function maskSecret(value: string): string {
  try {
    const url = new URL(value);
    if (!url.password) return value;
    url.password = "****";
    return url.toString();
  } catch {
    return value;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The entry to write over a previous one: what we set (command, args, type, and the env variables
 * we name) replaces it; everything else the user put there stays — other env variables (their API
 * keys, RALPH_EXECUTOR_COMMAND, …), RALPH_DB when we were not given --db, and other fields.
 */
export function mergeEntry(previous: unknown, entry: ServerEntry): ServerEntry {
  if (!isRecord(previous)) return entry;
  const before = isRecord(previous.env) ? (previous.env as Record<string, string>) : {};
  const env = { ...before, ...entry.env };
  const merged: ServerEntry = { ...(previous as Partial<ServerEntry>), ...entry };
  if (Object.keys(env).length > 0) merged.env = env;
  else delete merged.env;
  return merged;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Merge `entry` under mcpServers[name] in the JSON file at `path`. */
export function installServer(
  path: string,
  name: string,
  entry: ServerEntry,
  now = new Date(),
): InstallResult {
  let config: Record<string, unknown> = {};
  const exists = existsSync(path);
  if (exists) {
    const text = readFileSync(path, "utf8");
    let parsed: unknown;
    try {
      parsed = text.trim() === "" ? {} : JSON.parse(text);
    } catch (error) {
      throw new ValidationError(
        `${path} is not valid JSON (${(error as Error).message}). Fix it or move it away, then run this again; nothing was changed.`,
      );
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new ValidationError(`${path} does not hold a JSON object; nothing was changed.`);
    }
    config = parsed as Record<string, unknown>;
  }
  const servers = config.mcpServers ?? {};
  if (typeof servers !== "object" || servers === null || Array.isArray(servers)) {
    throw new ValidationError(`"mcpServers" in ${path} is not an object; nothing was changed.`);
  }
  const previous = (servers as Record<string, unknown>)[name];
  const merged = mergeEntry(previous, entry);
  if (previous !== undefined && canonical(previous) === canonical(merged)) {
    return { path, action: "unchanged", backup: null, entry: merged };
  }
  let backup: string | null = null;
  if (exists) {
    backup = `${path}.${now.toISOString().replace(/[:.]/g, "-")}.bak`;
    copyFileSync(path, backup);
  } else {
    mkdirSync(dirname(path), { recursive: true });
  }
  const next = { ...config, mcpServers: { ...(servers as Record<string, unknown>), [name]: merged } };
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: exists ? statSync(path).mode : 0o600 });
  renameSync(temp, path);
  return {
    path,
    action: !exists ? "created" : previous === undefined ? "added" : "updated",
    backup,
    entry: merged,
  };
}

export function registerInstallCommand(program: Command): void {
  program
    .command("install")
    .description("Add this server to Claude Desktop's or Claude Code's MCP configuration")
    .argument("<client>", CLIENTS.join(" or "))
    .option("--config <path>", "the config file to edit (default: the client's own)")
    .option("--scope <scope>", "claude-code: user (~/.claude.json) or project (./.mcp.json)", "user")
    .option("--name <name>", "the server's name in the config", SERVER_NAME)
    .option("--npx", "start it with `npx -y ralph-mcp` instead of this installation's path")
    .action((client: string, opts: { config?: string; scope: string; name: string; npx?: boolean }) => {
      if (!(CLIENTS as readonly string[]).includes(client)) {
        throw new ValidationError(`Unknown client "${client}". Use ${CLIENTS.join(" or ")}.`);
      }
      if (opts.scope !== "user" && opts.scope !== "project") {
        throw new ValidationError(`Unknown scope "${opts.scope}". Use user or project.`);
      }
      const which = client as Client;
      const path = resolve(opts.config ?? defaultConfigPath(which, opts.scope));
      const entry = serverEntry({ client: which, npx: opts.npx, db: program.opts<{ db?: string }>().db });
      const result = installServer(path, opts.name, entry);
      const out = (line: string) => process.stdout.write(`${line}\n`);
      const label = which === "claude-desktop" ? "Claude Desktop" : "Claude Code";
      switch (result.action) {
        case "unchanged":
          out(`${opts.name} is already in ${path} with the same settings; nothing changed.`);
          return;
        case "created":
          out(`Created ${path} with the ${opts.name} server.`);
          break;
        case "added":
          out(`Added ${opts.name} to ${path}.`);
          break;
        case "updated":
          out(`Updated ${opts.name} in ${path}.`);
          break;
      }
      if (result.backup) out(`The previous file is saved as ${result.backup}.`);
      out(`It runs: ${[entry.command, ...entry.args].join(" ")}`);
      // Only the variables we set are shown (a URL's password masked); the user's own are named.
      const set = entry.env ?? {};
      if (Object.keys(set).length > 0)
        out(
          `With: ${Object.entries(set)
            .map(([k, v]) => `${k}=${maskSecret(v)}`)
            .join(" ")}`,
        );
      const kept = Object.keys(result.entry.env ?? {}).filter((k) => !(k in set));
      if (kept.length > 0) out(`Kept its other environment variables: ${kept.join(", ")}.`);
      out(`Restart ${label} to load it.`);
    });
}
