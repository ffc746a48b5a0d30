/**
 * `ralph-mcp run --worktrees` as real processes on real repositories: a dirty worktree of the target
 * branch is refused, a missing agent is a setting error, a run killed with -9 (while agents work and
 * while a merge is in progress) leaves nothing the next run does not clean up, and two runs on one
 * store and one repository never execute a task twice at once nor interleave their merges.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MERGE_LOCK_FILE } from "../../src/orchestrator/worktrees/merge-lock.js";
import { ensureBuilt, git, leftovers, makeRepo, startRun } from "./git-helpers.js";
import { sq, useStore, waitFor } from "./helpers.js";

beforeAll(ensureBuilt, 120_000);
const ctx = useStore();
const db = () => ctx.dir.file("tasks.db");

async function addTasks(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= n; i++) ids.push((await ctx.store.create({ description: `Write file ${i}` })).task.id);
  return ids;
}

function config(content: unknown): string {
  const path = ctx.dir.file("ralph.json");
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe("ralph-mcp run --worktrees", () => {
  it("a dirty main worktree on the target branch: refused with exit 78, naming the files and --branch; the changes intact", async () => {
    const repo = makeRepo(ctx.dir.file("repo"));
    await addTasks(1);
    writeFileSync(join(repo, "README.md"), "my unsaved edit\n");
    writeFileSync(join(repo, "notes.txt"), "new, untracked\n");
    const result = await startRun(db(), ["--worktrees", "--repo", repo], {
      RALPH_EXECUTOR_COMMAND: "echo hi > README.md",
    }).result;

    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(
      /main is checked out in .* with uncommitted changes \(README\.md, notes\.txt\)/,
    );
    expect(result.stderr).toContain("--branch NAME");
    expect(readFileSync(join(repo, "README.md"), "utf8")).toBe("my unsaved edit\n");
    expect(readFileSync(join(repo, "notes.txt"), "utf8")).toBe("new, untracked\n");
    expect(git(repo, "stash", "list")).toBe("");
    expect((await ctx.store.stats()).in_progress).toBe(0);
  });

  it("an agent command that does not exist: exit 78 naming it, no attempt counted, nothing left held", async () => {
    const [id] = await addTasks(2);
    const result = await startRun(db(), ["--parallel", "2"], {
      RALPH_EXECUTOR_COMMAND: "no-such-agent-xyz --go",
    }).result;

    expect(result.code).toBe(78);
    expect(result.stdout).toMatch(
      /RALPH_EXECUTOR_COMMAND cannot start: `no-such-agent-xyz --go` exited with code 127/,
    );
    expect(result.stdout).toMatch(/not found/);
    const task = await ctx.store.get(id as string);
    expect(task).toMatchObject({ status: "pending", attempts: 0, claimed_by: null });
    expect((await ctx.store.stats()).in_progress).toBe(0);
  });

  it("kill -9 while an agent works and while a merge is in progress: main consistent, the next run cleans up and finishes", async () => {
    const repo = makeRepo(ctx.dir.file("repo"));
    const ids = await addTasks(3);
    const dir = ctx.dir.path;
    // task-001 is done at once; the others wait for `go`. The check on the merged result waits too.
    const agent = `if [ "$RALPH_TASK_ID" = task-001 ]; then echo one > one.txt; else touch ${sq(dir)}/agent-$RALPH_TASK_ID; while [ ! -e ${sq(dir)}/go ]; do sleep 0.01; done; echo x > $RALPH_TASK_ID.txt; fi`;
    const check = `if [ "$RALPH_MERGED" = 1 ] && [ ! -e ${sq(dir)}/go ]; then touch ${sq(dir)}/merging; while [ ! -e ${sq(dir)}/go ]; do sleep 0.01; done; fi`;
    const settings = config({ leaseMs: 1000, heartbeatMs: 100, staleRunMs: 1000 });
    const before = git(repo, "rev-parse", "main");
    const first = startRun(
      db(),
      ["--worktrees", "--parallel", "2", "--verify-after-merge", "--config", settings],
      {
        RALPH_EXECUTOR_COMMAND: agent,
        RALPH_VERIFIER_COMMAND: check,
      },
      repo,
    );
    await waitFor(() => existsSync(join(dir, "merging")) && existsSync(join(dir, "agent-task-002")), {
      what: "a merge in progress and an agent at work",
    });
    first.child.kill("SIGKILL");
    expect((await first.result).signal).toBe("SIGKILL");

    // The target branch is where it was (the merge was never kept), and the repository is sound.
    expect(git(repo, "rev-parse", "main")).toBe(before);
    expect(git(repo, "status", "--porcelain")).toBe("");
    git(repo, "fsck", "--no-progress");
    expect(existsSync(join(repo, ".git", MERGE_LOCK_FILE))).toBe(true); // held by the dead run
    expect(leftovers(repo).worktrees.length).toBeGreaterThan(1);
    writeFileSync(join(dir, "go"), ""); // the killed run's agents may end now

    // Its tasks come back once their leases run out; the next run cleans up and does them all.
    await waitFor(
      async () => {
        await ctx.store.expireLeases();
        return (await ctx.store.stats()).in_progress === 0;
      },
      { what: "the killed run's leases to run out" },
    );
    const second = await startRun(
      db(),
      ["--worktrees", "--parallel", "2", "--config", settings],
      {
        RALPH_EXECUTOR_COMMAND: agent,
      },
      repo,
    ).result;
    expect(second.code).toBe(0);
    expect((await ctx.store.stats()).completed).toBe(3);
    expect(git(repo, "show", "main:one.txt")).toBe("one");
    for (const id of ids.slice(1)) expect(git(repo, "show", `main:${id}.txt`)).toBe("x");
    git(repo, "fsck", "--no-progress");
    expect(leftovers(repo)).toEqual({ worktrees: [repo], branches: [] });
    expect(existsSync(join(repo, ".git", MERGE_LOCK_FILE))).toBe(false);
  });

  it("two runs with --parallel 2 on one store and one repository: no task executed twice at once, merges never interleave", async () => {
    const repo = makeRepo(ctx.dir.file("repo"));
    const ids = await addTasks(6);
    const log = ctx.dir.file("exec.log");
    const merges = ctx.dir.file("merge.log");
    const agent = `echo "start $RALPH_TASK_ID" >> ${sq(log)}; echo "$RALPH_TASK_ID" > "$RALPH_TASK_ID.txt"; echo "end $RALPH_TASK_ID" >> ${sq(log)}`;
    const check = `if [ "$RALPH_MERGED" = 1 ]; then echo in >> ${sq(merges)}; sleep 0.05; echo out >> ${sq(merges)}; fi`;
    const args = ["--worktrees", "--parallel", "2", "--verify-after-merge"];
    const env = { RALPH_EXECUTOR_COMMAND: agent, RALPH_VERIFIER_COMMAND: check };
    const [a, b] = await Promise.all([
      startRun(db(), args, env, repo).result,
      startRun(db(), args, env, repo).result,
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);

    expect((await ctx.store.stats()).completed).toBe(6);
    const lines = readFileSync(log, "utf8").trim().split("\n");
    for (const id of ids) {
      expect(lines.filter((l) => l === `start ${id}`)).toHaveLength(1); // executed once
      expect(git(repo, "show", `main:${id}.txt`)).toBe(id);
    }
    const m = readFileSync(merges, "utf8").trim().split("\n");
    expect(m).toEqual(Array.from({ length: 6 }, () => ["in", "out"]).flat());
    expect(leftovers(repo)).toEqual({ worktrees: [repo], branches: [] });
  });
});
