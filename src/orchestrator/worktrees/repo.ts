/**
 * The repository a run with worktrees works in: found from `--repo` (or the working directory),
 * its target branch (`--branch`, default the one checked out), and the checks made before the run
 * starts:
 *
 * - a person's uncommitted work is never touched: when the target branch is checked out in a
 *   worktree with uncommitted changes, the run is refused (a ConfigError naming the files and
 *   `--branch` as the way out; `ralph-mcp run` exits 78);
 * - what earlier runs left behind is cleaned up: the worktrees and `ralph/*` branches of runs
 *   whose process is gone (killed with -9), and git's records of worktrees whose folder is gone.
 */
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { log } from "../../log.js";
import { ConfigError } from "../config.js";
import { GitError, git, identityArgs, lines } from "./git.js";
import { isProcessAlive } from "./merge-lock.js";

/** Branches of attempts: `ralph/<pid>/task-007-2` (the pid tells a live run's from a dead one's). */
export const BRANCH_PREFIX = "ralph/";

export interface Repo {
  /** The main worktree's top folder. */
  root: string;
  /** The git common dir (shared by every worktree: refs, objects, the merge lock). */
  commonDir: string;
  /** The branch merges go into, e.g. "main". */
  branch: string;
  /** The worktree that has the target branch checked out, if any (it follows each merge). */
  checkedOutIn: string | null;
  /** Where this repository's attempt worktrees go. */
  worktreesDir: string;
  /** `-c user.name=… -c user.email=…` when the repository has no identity of its own. */
  identity: string[];
}

interface WorktreeEntry {
  path: string;
  branch: string | null;
}

export async function listWorktrees(cwd: string): Promise<WorktreeEntry[]> {
  const out = (await git(cwd, ["worktree", "list", "--porcelain"])).stdout;
  const entries: WorktreeEntry[] = [];
  for (const block of out.split("\n\n")) {
    const path = /^worktree (.+)$/m.exec(block)?.[1];
    if (!path) continue;
    entries.push({ path, branch: /^branch refs\/heads\/(.+)$/m.exec(block)?.[1] ?? null });
  }
  return entries;
}

/**
 * The folder where a repository's attempt worktrees go: under the system's temporary folder, in a
 * folder of this user's own (mode 0700), so another user of the machine cannot create it first and
 * put files into an agent's worktree before they are committed.
 */
function worktreesDirFor(commonDir: string): string {
  const key = createHash("sha256").update(commonDir).digest("hex").slice(0, 12);
  const user = typeof process.getuid === "function" ? String(process.getuid()) : userInfo().username;
  return join(tmpdir(), `ralph-worktrees-${user}`, key);
}

/** Make the attempt folder, refusing one that another user owns or can write to. */
export function ensureWorktreesDir(repo: Repo): void {
  const mine = dirname(repo.worktreesDir);
  mkdirSync(mine, { recursive: true, mode: 0o700 });
  const st = statSync(mine);
  const uid = typeof process.getuid === "function" ? process.getuid() : st.uid;
  if (st.uid !== uid || (st.mode & 0o022) !== 0) {
    throw new ConfigError(
      "worktrees",
      `${mine} belongs to another user or others can write to it, so agents' worktrees cannot be kept safe there. Remove it, or set TMPDIR to a folder of your own.`,
    );
  }
  mkdirSync(repo.worktreesDir, { recursive: true, mode: 0o700 });
}

export async function openRepo(options: { repo: string | null; branch: string | null }): Promise<Repo> {
  const dir = resolve(options.repo ?? process.cwd());
  let root: string;
  let commonDir: string;
  try {
    root = (await git(dir, ["rev-parse", "--show-toplevel"])).stdout.trim();
    const common = (await git(dir, ["rev-parse", "--git-common-dir"])).stdout.trim();
    commonDir = isAbsolute(common) ? common : resolve(dir, common);
  } catch (error) {
    throw new ConfigError(
      "repo",
      `Worktrees need a git repository, and ${dir} is not in one (${error instanceof GitError ? error.stderr.trim() : String(error)}). Run in a repository or pass --repo DIR.`,
    );
  }
  const branch = options.branch ?? (await currentBranch(root));
  try {
    await git(root, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`]);
  } catch {
    throw new ConfigError(
      "branch",
      `There is no branch ${branch} in ${root} (with a commit). Pass --branch NAME.`,
    );
  }
  const worktrees = await listWorktrees(root);
  const checkedOutIn = worktrees.find((w) => w.branch === branch)?.path ?? null;
  if (checkedOutIn) await refuseDirty(checkedOutIn, branch);
  return {
    root,
    commonDir,
    branch,
    checkedOutIn,
    worktreesDir: worktreesDirFor(commonDir),
    identity: await identityArgs(root),
  };
}

async function currentBranch(root: string): Promise<string> {
  try {
    return (await git(root, ["symbolic-ref", "--short", "HEAD"])).stdout.trim();
  } catch {
    throw new ConfigError(
      "branch",
      `${root} is not on a branch (detached HEAD): pass --branch NAME for the branch the work is merged into.`,
    );
  }
}

/** A worktree with the target branch checked out and uncommitted changes: refuse the run. */
async function refuseDirty(path: string, branch: string): Promise<void> {
  const status = lines((await git(path, ["status", "--porcelain", "--untracked-files=all"])).stdout);
  if (status.length === 0) return;
  const files = status.map((l) => l.slice(3));
  const shown = files.slice(0, 10).join(", ") + (files.length > 10 ? `, and ${files.length - 10} more` : "");
  throw new ConfigError(
    "branch",
    `${branch} is checked out in ${path} with uncommitted changes (${shown}); merges into it could touch them. ` +
      "Commit or stash them, or pass --branch NAME to merge into another branch.",
  );
}

/** An attempt branch is exactly `ralph/<pid>/task-<n>-<attempt>`: a person's `ralph/…` branch is not one. */
const ATTEMPT_BRANCH = /^ralph\/(\d+)\/task-\d+-\d+$/;

/** The pid in an attempt branch's name, or null for a branch that is not one. */
function branchOwner(branch: string | null): number | null {
  const m = branch === null ? null : ATTEMPT_BRANCH.exec(branch);
  return m ? Number(m[1]) : null;
}

/** The pid in an attempt worktree's folder name (`<worktreesDir>/<pid>-…`), or null. */
function folderOwner(repo: Repo, path: string): number | null {
  if (dirname(path) !== repo.worktreesDir) return null;
  const m = /^(\d+)-/.exec(basename(path));
  return m ? Number(m[1]) : null;
}

/**
 * Remove what runs whose process is gone left behind: their worktrees (folder and git's record)
 * and their attempt branches; then prune records of worktrees whose folder is gone. Worktrees and
 * branches of live runs (this process's, another process's) are left alone.
 *
 * Only what ralph-mcp made is ever touched: a worktree only when its folder is in this
 * repository's attempt folder (never the main worktree, never a person's own linked worktree,
 * whatever branch it has checked out), and a branch only when it has the exact shape of an
 * attempt branch and no worktree has it checked out.
 */
export async function cleanUpStale(repo: Repo): Promise<void> {
  const dead = (pid: number | null) => pid !== null && pid !== process.pid && !isProcessAlive(pid);
  const worktrees = await listWorktrees(repo.root);
  // The first entry is always the main worktree.
  for (const w of worktrees.slice(1)) {
    const owner = folderOwner(repo, w.path);
    if (owner === null || !dead(owner)) continue;
    try {
      await git(repo.root, ["worktree", "remove", "--force", "--force", w.path]);
    } catch (error) {
      log.warn({ err: error, worktree: w.path }, "could not remove a stale worktree; removing its folder");
      rmSync(w.path, { recursive: true, force: true }); // inside worktreesDir: checked above
    }
  }
  await git(repo.root, ["worktree", "prune"]);
  const checkedOut = new Set((await listWorktrees(repo.root)).map((w) => w.branch));
  const branches = lines(
    (await git(repo.root, ["for-each-ref", "--format=%(refname:short)", `refs/heads/${BRANCH_PREFIX}`]))
      .stdout,
  );
  const stale = branches.filter((b) => !checkedOut.has(b) && dead(branchOwner(b)));
  if (stale.length > 0) await git(repo.root, ["branch", "-D", ...stale]);
}
