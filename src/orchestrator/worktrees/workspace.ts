/**
 * A fresh git worktree for each attempt, and the merge queue that brings passing work back.
 *
 *   prepare   `git worktree add -b ralph/<pid>/task-007-2 <tmp>/… <head of the target branch>`
 *   integrate what the agent committed, plus what it left uncommitted (committed for it, naming
 *             the task), merged into the target branch — holding the repository's merge lock, so
 *             one merge at a time across workers and processes:
 *               1. the worktree goes to the target's head (detached) and merges the attempt's
 *                  branch with --no-ff ("Merge task-007 (attempt 2): …"); a conflict is aborted
 *                  and names the files;
 *               2. with verifyAfterMerge the check runs again on that merged result;
 *               3. the target branch moves to it: a fast-forward of the worktree that has it
 *                  checked out (git refuses to overwrite a person's changes there), else an atomic
 *                  update-ref from the head it merged onto.
 *             Anything that fails keeps nothing: the target branch stays where it was.
 *   dispose   the worktree and its branch removed, whatever happened.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Task } from "../../domain/task.js";
import { oneLine } from "../format.js";
import type { IntegrateResult, Workspace, WorkspaceProvider } from "../types.js";
import { GitError, git, lines } from "./git.js";
import { MergeLock } from "./merge-lock.js";
import { BRANCH_PREFIX, cleanUpStale, type Repo } from "./repo.js";

export class WorktreeWorkspaces implements WorkspaceProvider {
  readonly kind = "worktree";
  private readonly lock: MergeLock;

  constructor(readonly repo: Repo) {
    this.lock = new MergeLock(repo.commonDir);
  }

  /** Clean up what dead runs left (worktrees, branches) before this run's first attempt. */
  cleanUp(): Promise<void> {
    return cleanUpStale(this.repo);
  }

  async prepare(task: Task, attempt: number): Promise<Workspace> {
    const { repo } = this;
    const name = `${task.id}-${attempt}`;
    const branch = `${BRANCH_PREFIX}${process.pid}/${name}`;
    const path = join(repo.worktreesDir, `${process.pid}-${name}`);
    mkdirSync(repo.worktreesDir, { recursive: true });
    // A leftover of this process under the same name (an attempt given back and taken again).
    const branchExists = await git(repo.root, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], {
      okCodes: [1],
    });
    if (existsSync(path) || branchExists.code === 0) await removeWorktree(repo, path, branch);
    const base = await head(repo);
    await git(repo.root, ["worktree", "add", "--quiet", "-b", branch, path, base]);
    return new Worktree(repo, this.lock, task, attempt, path, branch, base);
  }
}

async function head(repo: Repo): Promise<string> {
  return (
    await git(repo.root, ["rev-parse", "--verify", `refs/heads/${repo.branch}^{commit}`])
  ).stdout.trim();
}

async function removeWorktree(repo: Repo, path: string, branch: string): Promise<void> {
  await git(repo.root, ["worktree", "remove", "--force", "--force", path]).catch(async () => {
    rmSync(path, { recursive: true, force: true });
    await git(repo.root, ["worktree", "prune"]).catch(() => {});
  });
  await git(repo.root, ["branch", "-D", "--quiet", branch], { okCodes: [1] }).catch(() => {});
}

class Worktree implements Workspace {
  constructor(
    private readonly repo: Repo,
    private readonly lock: MergeLock,
    private readonly task: Task,
    private readonly attempt: number,
    readonly path: string,
    readonly branch: string,
    private readonly base: string,
  ) {}

  async integrate(check?: (path: string) => Promise<string | null>): Promise<IntegrateResult> {
    await this.commitLeftovers();
    const ahead = Number((await git(this.path, ["rev-list", "--count", `${this.base}..HEAD`])).stdout.trim());
    if (ahead === 0) return { kept: true, commit: null };
    return this.lock.with(() => this.merge(check));
  }

  /** What the agent left uncommitted, committed for it with the task in the message. */
  private async commitLeftovers(): Promise<void> {
    await git(this.path, ["add", "--all"]);
    const staged = await git(this.path, ["diff", "--cached", "--quiet"], { okCodes: [1] });
    if (staged.code === 0) return;
    const message = `${this.task.id}: ${oneLine(this.task.description, 72)}\n\n${this.task.description.slice(0, 2000)}\n\nRalph-Task: ${this.task.id} (attempt ${this.attempt})`;
    await git(this.path, [...this.repo.identity, "commit", "--quiet", "--no-verify", "-m", message]);
  }

  private async merge(check?: (path: string) => Promise<string | null>): Promise<IntegrateResult> {
    const { repo } = this;
    const onto = await head(repo);
    await git(this.path, ["checkout", "--quiet", "--detach", onto]);
    const title = `Merge ${this.task.id} (attempt ${this.attempt}): ${oneLine(this.task.description, 60)}`;
    const merged = await git(
      this.path,
      [...repo.identity, "merge", "--no-ff", "--no-verify", "--quiet", "-m", title, this.branch],
      { okCodes: [1] },
    );
    if (merged.code !== 0) {
      const files = lines((await git(this.path, ["diff", "--name-only", "--diff-filter=U"])).stdout);
      await git(this.path, ["merge", "--abort"]).catch(() => {});
      if (files.length === 0) throw new GitError(["merge", this.branch], 1, merged.stdout, merged.stderr);
      return {
        kept: false,
        feedback: `Merging into ${repo.branch} conflicted in ${files.join(", ")}: nothing was kept. The next attempt starts from the new head of ${repo.branch}; make the change on top of what is there now.`,
        error: `merge conflict in ${files.join(", ")}`,
      };
    }
    const commit = (await git(this.path, ["rev-parse", "HEAD"])).stdout.trim();
    if (check) {
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

  async dispose(): Promise<void> {
    await removeWorktree(this.repo, this.path, this.branch);
  }
}
