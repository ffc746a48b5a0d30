/**
 * Choosing a store: `--db` or `RALPH_DB` names a SQLite file or a postgres:// URL; without
 * either, a SQLite file in the platform's user data folder (env-paths: ~/.local/share/ralph-mcp on
 * Linux, ~/Library/Application Support/ralph-mcp on macOS, %LOCALAPPDATA%\ralph-mcp\Data on Windows).
 */
import { join, resolve } from "node:path";
import envPaths from "env-paths";
import { openSqliteStore } from "./sqlite/store.js";
import type { TaskStore } from "./types.js";

function defaultDatabasePath(): string {
  return join(envPaths("ralph-mcp", { suffix: "" }).data, "tasks.db");
}

export function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/** The store a spec names (a path or a URL); the default file when the spec is empty. */
export async function openStore(spec?: string | undefined): Promise<TaskStore> {
  const target = storeTarget(spec);
  if (target.kind === "postgres") {
    const { openPostgresStore } = await import("./postgres/store.js");
    return openPostgresStore({ connectionString: target.url });
  }
  return openSqliteStore({
    path: target.path,
    synchronous: process.env.RALPH_SQLITE_SYNCHRONOUS === "full" ? "full" : "normal",
  });
}

/** Where a spec points: a SQLite file (absolute path, or ":memory:") or a PostgreSQL URL. */
export function storeTarget(
  spec?: string | undefined,
): { kind: "sqlite"; path: string } | { kind: "postgres"; url: string } {
  const value = spec?.trim() || process.env.RALPH_DB?.trim() || "";
  if (isPostgresUrl(value)) return { kind: "postgres", url: value };
  return {
    kind: "sqlite",
    path: value === "" ? defaultDatabasePath() : value === ":memory:" ? value : resolve(value),
  };
}
