/**
 * The clean-up at a run's start removes only what ralph-mcp made. Regression: it took every
 * worktree on a `ralph/<dead pid>/…` branch for a dead run's, the main worktree included, and when
 * git refused to remove that one it deleted the folder: the person's whole repository.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { isProcessAlive } from "../../src/orchestrator/worktrees/merge-lock.js";
import { cleanUpStale, ensureWorktreesDir, openRepo } from "../../src/orchestrator/worktrees/repo.js";
import { tempDir } from "../helpers/tmp.js";
import { git, makeRepo } from "./git-helpers.js";

const tmp = tempDir("ralph-cleanup-");
afterEach(() => tmp.remove());

/** Pids of no live process (a run killed with -9 long ago). */
function deadPids(n: number): number[] {
  const out: number[] = [];
  for (let pid = 4_000_000; out.length < n; pid--) if (!isProcessAlive(pid)) out.push(pid);
  return out;
}

it("clean-up never touches the main worktree, a person's own worktree or branch, even on ralph/<dead pid>/ branches", async () => {
  const [a, b, c, d] = deadPids(4) as [number, number, number, number];
  const repo = makeRepo(join(tmp.dir, "repo"));
  // The person looks at what a killed run's agent did: its branch checked out in the main worktree.
  git(repo, "checkout", "--quiet", "-b", `ralph/${a}/task-007-1`);
  // Their own linked worktree on another such branch, with work not committed yet.
  const theirs = join(tmp.dir, "their-worktree");
  git(repo, "worktree", "add", "--quiet", "-b", `ralph/${b}/task-008-1`, theirs);
  writeFileSync(join(theirs, "notes.txt"), "mine\n");
  // A branch of their own that merely starts with ralph/<digits>/.
  git(repo, "branch", `ralph/${c}/fix-login`);

  const opened = await openRepo({ repo, branch: null });
  // What a run killed with -9 really left: a worktree in the attempt folder, on its attempt branch.
  ensureWorktreesDir(opened);
  const stale = join(opened.worktreesDir, `${d}-abc-1`);
  git(repo, "worktree", "add", "--quiet", "-b", `ralph/${d}/task-009-2`, stale, "main");

  await cleanUpStale(opened);

  expect(readFileSync(join(repo, "README.md"), "utf8")).toBe("hello\n");
  expect(existsSync(join(repo, ".git"))).toBe(true);
  expect(readFileSync(join(theirs, "notes.txt"), "utf8")).toBe("mine\n");
  const branches = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/ralph/").split("\n");
  expect(branches.sort()).toEqual(
    [`ralph/${a}/task-007-1`, `ralph/${b}/task-008-1`, `ralph/${c}/fix-login`].sort(),
  );
  expect(existsSync(stale)).toBe(false);
  expect(git(repo, "worktree", "list", "--porcelain")).not.toContain(stale);
});
