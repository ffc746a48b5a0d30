/**
 * `--worktrees`: each attempt in a git worktree of its own, passing work merged back into the target
 * branch one at a time; conflicts and failing post-merge checks keep nothing and retry the task with
 * feedback; nothing is left behind. Real git repositories in temporary folders.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunRegistry } from "../../src/orchestrator/registry.js";
import { git, leftovers, makeRepo } from "./git-helpers.js";
import { sq, testOptions, useStore, waitFor } from "./helpers.js";

const fixtures = join(import.meta.dirname, "fixtures");
const ctx = useStore();

const waitGo = (gate: number, file: string) =>
  `sh ${sq(join(fixtures, "wait-go.sh"))} ${sq(ctx.dir.path)} ${gate} ${sq(file)}`;

async function addTasks(n: number, maxAttempts = 3): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= n; i++) {
    ids.push((await ctx.store.create({ description: `Write file ${i}`, max_attempts: maxAttempts })).task.id);
  }
  return ids;
}

function registry(repo: string, over: Parameters<typeof testOptions>[0]): RunRegistry {
  return new RunRegistry({
    store: ctx.store,
    options: testOptions({ executor: "command", worktrees: true, repo, ...over }),
  });
}

describe("a run with worktrees", () => {
  it("6 tasks, parallel 3, an agent that writes a file and commits nothing: all 6 on main, each in a commit naming its task; nothing left behind", async () => {
    const repo = makeRepo(ctx.dir.file("repo"));
    const ids = await addTasks(6);
    const runs = registry(repo, {
      executorCommand: 'printf "%s\\n" "$RALPH_TASK_ID" > "$RALPH_TASK_ID.txt"; pwd',
      parallel: 3,
    });
    const final = await (await runs.start()).done;

    expect(final).toMatchObject({ status: "finished", stop_code: "queue_empty" });
    expect(final.stats).toMatchObject({ completed: 6, executions: 6 });
    expect(final.settings).toMatchObject({ worktrees: { branch: "main" }, parallel: 3 });
    for (const id of ids) {
      expect(git(repo, "show", `main:${id}.txt`)).toBe(id);
      expect(git(repo, "log", "--format=%B", "main", "--", `${id}.txt`)).toContain(id);
      // The agent ran in its own worktree, not in the repository.
      expect((await ctx.store.get(id)).result).not.toContain(repo);
    }
    // The person's worktree followed the merges and is clean.
    expect(git(repo, "status", "--porcelain")).toBe("");
    expect(readFileSync(join(repo, `${ids[0]}.txt`), "utf8")).toBe(`${ids[0]}\n`);
    expect(leftovers(repo)).toEqual({ worktrees: [repo], branches: [] });
  });

  it("two tasks that edit the same line: one merges, the other is retried with feedback naming the file and succeeds from the new head", async () => {
    const repo = makeRepo(ctx.dir.file("repo"), { "shared.txt": "base\n" });
    const [a, b] = await addTasks(2);
    const runs = registry(repo, { executorCommand: waitGo(2, "shared.txt"), parallel: 2 });
    const final = await (await runs.start()).done;

    expect(final.stats).toMatchObject({ completed: 2, retried: 1, executions: 3 });
    const tasks = [await ctx.store.get(a as string), await ctx.store.get(b as string)];
    const retried = tasks.find((t) => t.attempts === 2);
    expect(retried?.status).toBe("completed");
    expect(retried?.feedback[0]?.text).toMatch(
      /Merging into main conflicted in shared\.txt: nothing was kept/,
    );
    // The retried one went last, on top of the other's work.
    expect(readFileSync(join(repo, "shared.txt"), "utf8")).toBe(`${retried?.id}\n`);
    expect(git(repo, "log", "-p", "main")).not.toMatch(/^[+-]?(<{7}|>{7}|={7})/m);
    expect(leftovers(repo)).toEqual({ worktrees: [repo], branches: [] });
  });

  it("a check that fails after the merge: main is unchanged, the task is retried with the check's output", async () => {
    const repo = makeRepo(ctx.dir.file("repo"));
    const [id] = await addTasks(1, 2);
    const runs = registry(repo, {
      executorCommand: waitGo(99, "mine.txt"),
      verifier: "command",
      verifierCommand: 'if [ -e poison.txt ]; then echo "poison.txt is here ($RALPH_MERGED)"; exit 1; fi',
      verifyAfterMerge: true,
    });
    const handle = await runs.start();
    // While the agent works on the old head, main gets a commit the check rejects.
    await waitFor(() => existsSync(ctx.dir.file(`started-${id}-1`)));
    writeFileSync(join(repo, "poison.txt"), "x\n");
    git(repo, "add", "poison.txt");
    git(repo, "commit", "--quiet", "-m", "poison");
    const before = git(repo, "rev-parse", "main");
    writeFileSync(ctx.dir.file("go"), "");
    const final = await handle.done;

    expect(git(repo, "rev-parse", "main")).toBe(before);
    expect(existsSync(join(repo, "mine.txt"))).toBe(false);
    const task = await ctx.store.get(id as string);
    expect(task.feedback[0]?.text).toMatch(/the check failed, so nothing was kept/);
    expect(task.feedback[0]?.text).toContain("poison.txt is here (1)");
    expect(final.stats.retried + final.stats.failed).toBe(2);
    expect(leftovers(repo)).toEqual({ worktrees: [repo], branches: [] });
  });
});
