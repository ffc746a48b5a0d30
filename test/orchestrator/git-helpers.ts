/** Real git repositories in temporary folders, and `ralph-mcp run` as a real process, for the worktree tests. */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const repoRoot = join(import.meta.dirname, "..", "..");
export const cli = join(repoRoot, "dist", "bin", "ralph-mcp.js");

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_DIR: undefined, GIT_WORK_TREE: undefined } as NodeJS.ProcessEnv,
  }).trim();
}

/** A repository on branch main with `files` committed ("initial"), and an identity of its own. */
export function makeRepo(path: string, files: Record<string, string> = { "README.md": "hello\n" }): string {
  mkdirSync(path, { recursive: true });
  git(path, "init", "--quiet", "-b", "main");
  git(path, "config", "user.name", "Test Person");
  git(path, "config", "user.email", "person@example.com");
  for (const [name, content] of Object.entries(files)) writeFileSync(join(path, name), content);
  git(path, "add", "--all");
  git(path, "commit", "--quiet", "-m", "initial");
  return path;
}

/** Worktrees git knows of, and the `ralph/*` branches. */
export function leftovers(repo: string): { worktrees: string[]; branches: string[] } {
  const worktrees = git(repo, "worktree", "list", "--porcelain")
    .split("\n")
    .filter((l) => l.startsWith("worktree "))
    .map((l) => l.slice("worktree ".length));
  const branches = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/ralph/")
    .split("\n")
    .filter(Boolean);
  return { worktrees, branches };
}

function newestSource(path: string): number {
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** `npm test` builds first; build here too when dist/ is missing or older than src/. */
export function ensureBuilt(): void {
  if (existsSync(cli) && statSync(cli).mtimeMs >= newestSource(join(repoRoot, "src"))) return;
  const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: repoRoot, stdio: "inherit" });
  execFileSync(process.execPath, [join(repoRoot, "scripts", "bundle.mjs")], {
    cwd: repoRoot,
    stdio: "inherit",
  });
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `ralph-mcp --db <db> run <args>` in `cwd`, with none of the caller's RALPH_* settings. */
export function startRun(
  db: string,
  args: string[],
  env: Record<string, string>,
  cwd?: string,
): { child: ChildProcess; result: Promise<CliResult> } {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("RALPH_") && !k.startsWith("ANTHROPIC_") && !k.startsWith("GIT_")) clean[k] = v;
  }
  const child = spawn(process.execPath, [cli, "--db", db, "run", ...args], {
    cwd,
    env: { ...clean, RALPH_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const result = new Promise<CliResult>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, result };
}
