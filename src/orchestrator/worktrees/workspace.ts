/**
 * A fresh git worktree for each attempt, and the merge queue that brings passing work back.
 *
 *   prepare   a worktree of this run at the head of the target branch, on a branch of the attempt's
 *             own (`ralph/<pid>/task-007-2`): made with `git worktree add` the first time, and then
 *             reused — reset hard to the new head and cleaned of every untracked and ignored file,
 *             so it is as fresh as a new one at a fraction of the cost in a large repository.
 *   integrate what the agent committed, plus what it left uncommitted (committed for it, naming
 *             the task), merged into the target branch holding the repository's merge lock, so one
 *             merge at a time across workers and processes:
 *               1. the merge is computed without touching any worktree (`git merge-tree
 *                  --write-tree`, git ≥ 2.38; older git merges in the attempt's worktree), as a
 *                  --no-ff merge commit "Merge task-007 (attempt 2): …" onto the target's head; a
 *                  conflict keeps nothing and names the files (no conflict marker is ever committed);
 *               2. with verifyAfterMerge the check runs on that merged result, checked out in the
 *                  attempt's worktree;
 *               3. the target branch moves to it: a fast-forward of the worktree that has it
 *                  checked out (git refuses to overwrite a person's changes there), else an atomic
 *                  update-ref from the head it merged onto.
 *             Anything that fails keeps nothing: the target branch stays where it was.
 *   dispose   the attempt's branch deleted and its worktree back in the run's pool; close() removes
 *             the pool's worktrees when the run ends (a killed run's are removed by the next run).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Task } from "../../domain/task.js";
import { oneLine } from "../format.js";
import type { IntegrateResult, Workspace, WorkspaceProvider } from "../types.js";
import { GitError, git, lines } from "./git.js";
import { MergeLock } from "./merge-lock.js";
import { BRANCH_PREFIX, cleanUpStale, ensureWorktreesDir, type Repo } from "./repo.js";

type Check = (path: string) => Promise<string | null>;

export class WorktreeWorkspaces implements WorkspaceProvider {
  readonly kind = "worktree";
  private readonly lock: MergeLock;
  /** Worktrees of this run that no attempt uses now. */
  private readonly free: string[] = [];
  private readonly all: string[] = [];
  private mergeTree: Promise<boolean> | null = null;

  constructor(readonly repo: Repo) {
    this.lock = new MergeLock(repo.commonDir);
  }

  /** Clean up what dead runs left (worktrees, branches) before this run's first attempt. */
  cleanUp(): Promise<void> {
    return cleanUpStale(this.repo);
  }

  async prepare(task: Task, attempt: number): Promise<Workspace> {
    const { repo } = this;
    const branch = `${BRANCH_PREFIX}${process.pid}/${task.id}-${attempt}`;
    const base = await head(repo);
    // -B: a leftover branch of this process under the same name (an attempt given back and taken
    // again) is reset rather than refused.
    let path = this.free.pop();
    if (path) {
      await git(path, ["checkout", "--quiet", "--force", "-B", branch, base]);
      await git(path, ["clean", "-ffdxq"]);
    } else {
      ensureWorktreesDir(repo);
      path = join(repo.worktreesDir, `${process.pid}-${Date.now().toString(36)}-${this.all.length + 1}`);
      await git(repo.root, ["worktree", "add", "--quiet", "-B", branch, path, base]);
      this.all.push(path);
    }
    return new Worktree(this, task, attempt, path, branch, base);
  }

  /** Give a worktree back to the pool once its attempt's branch is gone. */
  async release(path: string, branch: string): Promise<void> {
    // Deleting the ref leaves the worktree on an unborn branch until its next checkout -B.
    await git(this.repo.root, ["update-ref", "-d", `refs/heads/${branch}`]);
    this.free.push(path);
  }

  /** Remove this run's worktrees (the run ended). */
  async close(): Promise<void> {
    for (const path of this.all.splice(0)) {
      await git(this.repo.root, ["worktree", "remove", "--force", "--force", path]).catch(() => {
        rmSync(path, { recursive: true, force: true }); // prune below forgets it
      });
    }
    this.free.length = 0;
    await git(this.repo.root, ["worktree", "prune"]).catch(() => {});
  }

  /** Whether this git computes merges without a worktree (`merge-tree --write-tree`, 2.38+). */
  canMergeTree(): Promise<boolean> {
    this.mergeTree ??= git(this.repo.root, ["version"]).then(({ stdout }) => {
      const [major = 0, minor = 0] = (/(\d+)\.(\d+)/.exec(stdout) ?? []).slice(1).map(Number);
      return major > 2 || (major === 2 && minor >= 38);
    });
    return this.mergeTree;
  }

  withLock<T>(work: () => Promise<T>): Promise<T> {
    return this.lock.with(work);
  }
}

async function head(repo: Repo): Promise<string> {
  return (
    await git(repo.root, ["rev-parse", "--verify", `refs/heads/${repo.branch}^{commit}`])
  ).stdout.trim();
}

class Worktree implements Workspace {
  constructor(
    private readonly owner: WorktreeWorkspaces,
    private readonly task: Task,
    private readonly attempt: number,
    readonly path: string,
    readonly branch: string,
    private readonly base: string,
  ) {}

  private get repo(): Repo {
    return this.owner.repo;
  }

  async integrate(check?: Check): Promise<IntegrateResult> {
    await this.commitLeftovers();
    const tip = (await git(this.path, ["rev-parse", "HEAD"])).stdout.trim();
    if (tip === this.base) return { kept: true, commit: null };
    return this.owner.withLock(() => this.merge(tip, check));
  }

  /** What the agent left uncommitted, committed for it with the task in the message. */
  private async commitLeftovers(): Promise<void> {
    await git(this.path, ["add", "--all"]);
    const staged = await git(this.path, ["diff", "--cached", "--quiet"], { okCodes: [1] });
    if (staged.code === 0) return;
    const { id, description } = this.task;
    const message = `${id}: ${oneLine(description, 72)}\n\n${description.slice(0, 2000)}\n\nRalph-Task: ${id} (attempt ${this.attempt})`;
    await git(this.path, [...this.repo.identity, "commit", "--quiet", "--no-verify", "-m", message]);
  }

  private title(): string {
    return `Merge ${this.task.id} (attempt ${this.attempt}): ${oneLine(this.task.description, 60)}`;
  }

  private conflict(files: string[]): IntegrateResult {
    const { branch } = this.repo;
    return {
      kept: false,
      feedback: `Merging into ${branch} conflicted in ${files.join(", ")}: nothing was kept. The next attempt starts from the new head of ${branch}; make the change on top of what is there now.`,
      error: `merge conflict in ${files.join(", ")}`,
    };
  }

  /** The merge commit onto `onto`, or the conflicting files. */
  private async mergeCommit(onto: string, tip: string): Promise<{ commit: string } | { conflict: string[] }> {
    const { identity } = this.repo;
    if (await this.owner.canMergeTree()) {
      const merged = await git(
        this.path,
        ["merge-tree", "--write-tree", "--name-only", "--no-messages", onto, tip],
        {
          okCodes: [1],
        },
      );
      const [tree = "", ...files] = lines(merged.stdout);
      if (merged.code === 1) return { conflict: files };
      const args = [...identity, "commit-tree", tree, "-p", onto, "-p", tip, "-m", this.title()];
      return { commit: (await git(this.path, args)).stdout.trim() };
    }
    await git(this.path, ["checkout", "--quiet", "--detach", onto]);
    const merged = await git(
      this.path,
      [...identity, "merge", "--no-ff", "--no-verify", "--quiet", "-m", this.title(), this.branch],
      { okCodes: [1] },
    );
    if (merged.code !== 0) {
      const files = lines((await git(this.path, ["diff", "--name-only", "--diff-filter=U"])).stdout);
      await git(this.path, ["merge", "--abort"]).catch(() => {});
      if (files.length === 0) throw new GitError(["merge", this.branch], 1, merged.stdout, merged.stderr);
      return { conflict: files };
    }
    return { commit: (await git(this.path, ["rev-parse", "HEAD"])).stdout.trim() };
  }

  private async merge(tip: string, check?: Check): Promise<IntegrateResult> {
    const { repo } = this;
    const onto = await head(repo);
    const merged = await this.mergeCommit(onto, tip);
    if ("conflict" in merged) return this.conflict(merged.conflict);
    const { commit } = merged;
    if (check) {
      await git(this.path, ["checkout", "--quiet", "--detach", commit]);
      const failed = await check(this.path);
      if (failed !== null) {
        return {
          kept: false,
          feedback: `Merged into ${repo.branch}, the check failed, so nothing was kept. Its output:\n${failed}`,
          error: `check after merge failed: ${oneLine(failed, 200)}`,
        };
      }
    }
    try {
      if (repo.checkedOutIn) {
        await git(repo.checkedOutIn, ["merge", "--ff-only", "--quiet", commit]);
      } else {
        await git(repo.root, ["update-ref", `refs/heads/${repo.branch}`, commit, onto]);
      }
    } catch (error) {
      const why = error instanceof GitError ? error.stderr.trim() || error.message : String(error);
      return {
        kept: false,
        feedback: `${repo.branch} could not take the merge (${oneLine(why, 300)}): nothing was kept.`,
        error: `target branch refused the merge: ${oneLine(why, 200)}`,
      };
    }
    return { kept: true, commit };
  }

  dispose(): Promise<void> {
    return this.owner.release(this.path, this.branch);
  }
}
