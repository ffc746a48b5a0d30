/**
 * The terminal commands end to end, through the built command in child processes: each command,
 * its --json form and its exit code; export → import; reads that never create a store; mistakes
 * with clear answers. At the end, everything printed is scanned: no MCP tool name, no escape code.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Task } from "../../src/domain/task.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { tempDir } from "../helpers/tmp.js";
import { CLI } from "../mcp/helpers.js";
import { cleanEnv, printed, ralph, ralphOnTty } from "./helpers.js";

const TOOL_NAMES =
  /\b(add_task|add_tasks_batch|start_task|complete_task|complete_tasks_batch|fail_task|retry_task|get_next_task|claim_next_task|get_task|list_tasks|update_task|delete_task|clear_completed|reset_all_tasks|run_orchestrator|show_board)\b/;

const tmp = tempDir("ralph-cli-");
afterAll(() => tmp.remove());
let n = 0;
/** A database path of its own in the test folder (not created). */
const freshDb = () => join(tmp.dir, `t${++n}.db`);

const json = <T>(text: string): T => JSON.parse(text) as T;

describe("reads never create a store", () => {
  it.each([
    ["list"],
    ["show", "task-001"],
    ["stats"],
    ["export"],
    ["runs", "list"],
    ["runs", "show", "run-001"],
  ])("%s on a missing store says so, exits 66, creates nothing", async (...args) => {
    const db = join(tmp.dir, "missing", "none.db");
    const r = await ralph(db, args);
    expect(r.code).toBe(66);
    expect(r.stderr).toContain(`No task store at ${db}`);
    expect(r.stderr).toContain('ralph-mcp add "…"');
    expect(existsSync(join(tmp.dir, "missing"))).toBe(false);
  });
});

describe("the queue from a terminal", () => {
  const db = freshDb();

  it("add: options never swallow the description; --json prints the task", async () => {
    const first = await ralph(db, ["add", "-t", "docs", "Write", "the", "docs", "-p", "2"]);
    expect(first).toMatchObject({ code: 0, stdout: "Created task: task-001\n" });
    const second = await ralph(db, ["add", "--json", "-d", "task-001", "--key", "k2", "Ship it"]);
    expect(second.code).toBe(0);
    expect(json<Task>(second.stdout)).toMatchObject({
      id: "task-002",
      description: "Ship it",
      depends_on: ["task-001"],
      idempotency_key: "k2",
    });
    expect((await ralph(db, ["add", "--key", "k2", "Ship it again"])).stdout).toBe(
      "Exists already: task-002 (same key)\n",
    );
    expect(json<Task>((await ralph(db, ["show", "task-001", "--json"])).stdout).tags).toEqual(["docs"]);
  });

  it("list: queue order, blocked shown with what it waits for; --json the page", async () => {
    await ralph(db, ["add", "-p", "1", "Urgent"]);
    const r = await ralph(db, ["list"]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^ID\s+STATUS\s+PRI\s+TRIES\s+DESCRIPTION$/);
    expect(rows[1]).toMatch(/^task-003\s+pending\s+p1\s+0\/3\s+Urgent$/);
    expect(rows[2]).toMatch(/^task-001\s+pending\s+p2\s+0\/3\s+Write the docs$/);
    expect(rows[3]).toMatch(/^task-002\s+blocked\s+p5\s+0\/3\s+Ship it \(waits for task-001\)$/);
    expect(rows[4]).toBe("3 of 3 shown");
    const page = json<{ tasks: Task[]; total: number; nextCursor: string | null }>(
      (await ralph(db, ["list", "--json", "--limit", "2"])).stdout,
    );
    expect(page.tasks.map((t) => t.id)).toEqual(["task-003", "task-001"]);
    expect(page.total).toBe(3);
    const rest = await ralph(db, ["list", "--json", "--cursor", page.nextCursor ?? ""]);
    expect(json<{ tasks: Task[] }>(rest.stdout).tasks.map((t) => t.id)).toEqual(["task-002"]);
    expect((await ralph(db, ["list", "--status", "failed"])).stdout).toBe("No failed tasks.\n");
  });

  it("show and stats: readable text, and --json", async () => {
    const show = await ralph(db, ["show", "task-002"]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^task-002 {2}blocked · priority 5 · attempt 0 of 3\n\nShip it\n/);
    expect(show.stdout).toMatch(/Depends on: +task-001 \(waiting for task-001\)/);
    const stats = await ralph(db, ["stats"]);
    expect(stats.stdout).toBe(
      "3 tasks: 3 pending (1 blocked), 0 in progress, 0 completed, 0 failed\n" +
        "Completion 0% · failure 0% · 0 attempts per task on average\n",
    );
    expect(
      json<{ total: number; blocked: number }>((await ralph(db, ["stats", "--json"])).stdout),
    ).toMatchObject({
      total: 3,
      blocked: 1,
    });
  });

  it("edit: a pending task; a task that is no longer pending is refused, naming its status", async () => {
    const edited = await ralph(db, ["edit", "task-003", "--priority", "4", "--tag", "a,b", "--json"]);
    expect(edited.code).toBe(0);
    expect(json<Task>(edited.stdout)).toMatchObject({ priority: 4, tags: ["a", "b"] });
    expect(
      (await ralph(db, ["edit", "task-003", "--description", "Urgent, really", "--no-tag"])).stdout,
    ).toBe("Updated task: task-003\n");
    expect(json<Task>((await ralph(db, ["show", "task-003", "--json"])).stdout)).toMatchObject({
      description: "Urgent, really",
      tags: [],
    });
    expect((await ralph(db, ["complete", "task-003", "--result", "done"])).stdout).toBe(
      "Completed task: task-003\n",
    );
    const refused = await ralph(db, ["edit", "task-003", "-p", "1"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("task-003 is completed: only a task that is pending can be edited.");
    expect(refused.stderr).toContain("ralph-mcp retry task-003");
    const nothing = await ralph(db, ["edit", "task-001"]);
    expect(nothing.code).toBe(64);
    expect(nothing.stderr).toContain("Say what to change");
  });

  it("complete, fail, retry, reset: each with --json and its exit code", async () => {
    expect(
      json<Task>((await ralph(db, ["complete", "task-001", "-r", "written", "--json"])).stdout).status,
    ).toBe("completed");
    const again = await ralph(db, ["complete", "task-001"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("task-001 is already completed.");
    expect(
      json<Task>((await ralph(db, ["fail", "task-002", "--reason", "no time", "--json"])).stdout),
    ).toMatchObject({
      status: "failed",
      failure_reason: "no time",
    });
    const noReason = await ralph(db, ["fail", "task-002"]);
    expect(noReason.code).toBe(64);
    expect(noReason.stderr).toMatch(/required option '-r, --reason <text>' not specified/);
    const retried = await ralph(db, ["retry", "task-002", "--feedback", "start earlier"]);
    expect(retried).toMatchObject({ code: 0, stdout: "Queued task task-002 again (attempt 1 of 3 next)\n" });
    const fed = json<Task>((await ralph(db, ["show", "task-002", "--json"])).stdout);
    expect(fed.feedback).toMatchObject([{ text: "start earlier", source: "user" }]);
    expect(json<Task>((await ralph(db, ["retry", "task-001", "--json"])).stdout).status).toBe("pending");
    expect((await ralph(db, ["complete", "task-001", "-r", "written again"])).stdout).toBe(
      "Completed task: task-001\n",
    );
    const pendingRetry = await ralph(db, ["retry", "task-002"]);
    expect(pendingRetry.code).toBe(1);
    expect(pendingRetry.stderr).toContain("task-002 is pending");
    const reset = await ralph(db, ["reset", "task-002", "--json"]);
    expect(json<Task>(reset.stdout)).toMatchObject({ status: "pending", attempts: 0, feedback: [] });
    const which = await ralph(db, ["reset"]);
    expect(which.code).toBe(64);
  });

  it("reset --all and clear-completed ask for --yes off a terminal; nothing changes without it", async () => {
    const before = (await ralph(db, ["export"])).stdout;
    const refused = await ralph(db, ["reset", "--all"]);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain("add --yes");
    const clear = await ralph(db, ["clear-completed"]);
    expect(clear.code).toBe(64);
    expect((await ralph(db, ["export"])).stdout).toBe(before);
    expect((await ralph(db, ["clear-completed", "--yes", "--json"])).stdout).toBe('{\n  "deleted": 2\n}\n');
    expect((await ralph(db, ["reset", "--all", "--yes"])).stdout).toBe("Reset 1 task to pending\n");
  });

  it("delete: asks for --yes; an in-progress task needs --force; a missing one names what exists", async () => {
    const store = openSqliteStore({ path: db });
    await store.start("task-002", { workerId: "someone" });
    await store.close();
    expect((await ralph(db, ["delete", "task-002"])).code).toBe(64);
    const held = await ralph(db, ["delete", "task-002", "--yes"]);
    expect(held.code).toBe(1);
    expect(held.stderr).toContain("task-002 is in progress");
    expect(held.stderr).toContain("add --force");
    expect(
      json<Task>((await ralph(db, ["delete", "task-002", "--yes", "--force", "--json"])).stdout).id,
    ).toBe("task-002");
    const missing = await ralph(db, ["show", "task-002"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'error: No task task-002: the queue is empty. Add one with: ralph-mcp add "…"\n',
    );
    expect((await ralph(db, ["list"])).stdout).toBe(
      'No tasks yet. Add one with: ralph-mcp add "Write the release notes"\n',
    );
  });
});

describe("runs", () => {
  it("list, show and cancel, with --json", async () => {
    const db = freshDb();
    const store = openSqliteStore({ path: db });
    const run = await store.runs.create({ max_tasks: 3, settings: { executor: "command" }, owner: "test:1" });
    await store.close();
    const list = await ralph(db, ["runs"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+STATUS/);
    expect(list.stdout).toMatch(/run-001\s+running/);
    expect(json<Array<{ id: string }>>((await ralph(db, ["runs", "list", "--json"])).stdout)[0]?.id).toBe(
      run.id,
    );
    const show = await ralph(db, ["runs", "show", run.id]);
    expect(show.stdout).toMatch(/^run-001 {2}running/);
    expect(show.stdout).not.toMatch(/tokens|cost/); // a command executor reports none
    expect(
      json<{ id: string; status: string }>((await ralph(db, ["runs", "show", run.id, "--json"])).stdout),
    ).toMatchObject({
      id: run.id,
      status: "running",
    });
    const cancel = await ralph(db, ["runs", "cancel", run.id, "--json"]);
    expect(json<{ cancel_requested: boolean }>(cancel.stdout).cancel_requested).toBe(true);
    const store2 = openSqliteStore({ path: db });
    const ended = await store2.runs.create({
      max_tasks: 1,
      settings: { executor: "command" },
      owner: "test:2",
    });
    await store2.runs.update(ended.id, { status: "finished", finished_at: new Date().toISOString() });
    await store2.close();
    expect(await ralph(db, ["runs", "cancel", ended.id])).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: ${ended.id} has already ended (finished): there is nothing to cancel.\n`,
    });
    const missing = await ralph(db, ["runs", "show", "run-009"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      "No run run-009. Recent runs: run-002, run-001 (ralph-mcp runs list shows them).",
    );
  });
});

describe("export and import", () => {
  const source = freshDb();
  beforeAll(async () => {
    const store = openSqliteStore({ path: source });
    await store.createBatch([
      { description: "first", idempotency_key: "one" },
      { description: "second", depends_on: ["#1"], tags: ["x"] },
      { description: "third", criteria: "is third" },
    ]);
    await store.start("task-001", { workerId: "w" });
    await store.retry("task-001", "again, better", { source: "verifier" });
    await store.complete("task-001", "done");
    await store.fail("task-003", "no");
    await store.close();
  });

  it.each(["json", "jsonl"])(
    "export --format %s → import into an empty store gives the same tasks",
    async (format) => {
      const file = join(tmp.dir, `export.${format}`);
      const exported = await ralph(source, ["export", "--format", format, "--output", file]);
      expect(exported.code).toBe(0);
      expect(exported.stderr).toContain(`Exported 3 tasks to ${file}`);
      const target = freshDb();
      const imported = await ralph(target, ["import", file]);
      expect(imported).toMatchObject({ code: 0, stdout: "Imported 3 tasks\n" });
      const before = json<Task[]>((await ralph(source, ["export"])).stdout);
      const after = json<Task[]>((await ralph(target, ["export"])).stdout);
      expect(after).toEqual(before);
      expect(after[0]?.feedback).toMatchObject([{ text: "again, better", source: "verifier" }]);
      expect(after[1]?.depends_on).toEqual(["task-001"]);
      // Again (a backup restored twice): every task is there already, nothing is added.
      const again = await ralph(target, ["import", file]);
      expect(again).toMatchObject({ code: 0, stdout: "Imported 0 tasks; 3 already here\n" });
      expect(json<Task[]>((await ralph(target, ["export"])).stdout)).toEqual(before);
    },
  );

  it("a file with one bad row adds nothing and names the row", async () => {
    const target = freshDb();
    await ralph(target, ["add", "already here"]);
    const before = (await ralph(target, ["export"])).stdout;
    const file = join(tmp.dir, "bad.jsonl");
    writeFileSync(
      file,
      [{ description: "fine" }, { description: "also fine" }, { description: "bad", priority: 11 }]
        .map((r) => JSON.stringify(r))
        .join("\n"),
    );
    const bad = await ralph(target, ["import", file]);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain(
      "row 3: priority must be from 1 (highest) to 10 (lowest). Nothing was imported.",
    );
    writeFileSync(
      file,
      `${JSON.stringify({ description: "a" })}\n${JSON.stringify({ description: "b", depends_on: ["task-404"] })}\n`,
    );
    const dep = await ralph(target, ["import", file]);
    expect(dep.code).toBe(65);
    expect(dep.stderr).toContain("row 2: depends_on: there is no task task-404");
    writeFileSync(file, '{"description": "a"}\nnot json\n');
    const broken = await ralph(target, ["import", file]);
    expect(broken.code).toBe(65);
    expect(broken.stderr).toContain("line 2: not valid JSON");
    expect((await ralph(target, ["export"])).stdout).toBe(before);
  });
});

describe("mistakes get clear answers", () => {
  const db = freshDb();

  it("an unknown command suggests the nearest, exit 64", async () => {
    const r = await ralph(db, ["lsit"]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain("error: unknown command 'lsit'");
    expect(r.stderr).toContain("(Did you mean list?)");
    expect(existsSync(db)).toBe(false);
  });

  it.each([
    [["runs", "bogus"], "error: unknown command 'bogus'\n(ralph-mcp runs has:"],
    [["runs", "lsit"], "error: unknown command 'lsit'\n(Did you mean list?)"],
  ])("an unknown subcommand (%j) says so and suggests the nearest, exit 64", async (args, message) => {
    const r = await ralph(db, args);
    expect(r).toMatchObject({ code: 64, stdout: "" });
    expect(r.stderr).toContain(message);
  });

  it("list --status blocked says how to see blocked tasks", async () => {
    const r = await ralph(db, ["list", "--status", "blocked"]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(
      "Blocked tasks are pending ones waiting on dependencies: ralph-mcp list --status pending shows them",
    );
  });

  it("the same bad value gets the same message and exit code in every command", async () => {
    await ralph(db, ["add", "one"]);
    const add = await ralph(db, ["add", "-p", "11", "two"]);
    const edit = await ralph(db, ["edit", "task-001", "-p", "11"]);
    expect(add.code).toBe(64);
    expect(edit.code).toBe(64);
    const line = (s: string) => s.split("\n")[0];
    expect(line(add.stderr)).toBe(line(edit.stderr));
    expect(line(add.stderr)).toContain("--priority must be from 1 (highest) to 10 (lowest)");
    const word = await ralph(db, ["add", "--max-attempts", "many", "two"]);
    expect(word.stderr).toContain("--max-attempts must be a whole number from 1 to 100");
    const badId = await ralph(db, ["show", "nope"]);
    expect(badId.code).toBe(1);
    expect(badId.stderr).toContain("No task nope. Pending tasks: task-001 (ralph-mcp list shows all).");
  });

  it("--version, help and help <command>", async () => {
    const version = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8")).version;
    expect((await ralph(db, ["--version"])).stdout.trim()).toBe(version);
    const help = await ralph(db, ["help"]);
    expect(help.code).toBe(0);
    for (const command of [
      "add",
      "list",
      "show",
      "stats",
      "edit",
      "complete",
      "fail",
      "retry",
      "reset",
      "delete",
      "clear-completed",
      "export",
      "import",
      "run",
      "runs",
      "serve",
      "install",
    ]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    }
    const edit = await ralph(db, ["help", "edit"]);
    expect(edit.stdout).toContain("Usage: ralph-mcp edit [options] <id>");
    expect(edit.stdout).toContain("--depends-on <ids>");
    const dashboard = await ralph(db, ["dashboard", "--help"]);
    expect(dashboard.stdout).toContain("print its URL to open in a browser");
    expect(dashboard.stdout).toContain("--db <path-or-url>");
  });
});

describe("install", () => {
  it.skipIf(process.platform !== "linux")("an empty XDG_CONFIG_HOME counts as unset", async () => {
    const home = join(tmp.dir, "home");
    const r = await ralph(freshDb(), ["install", "claude-desktop"], {
      env: { HOME: home, XDG_CONFIG_HOME: "" },
    });
    expect(r.code).toBe(0);
    const path = join(home, ".config", "Claude", "claude_desktop_config.json");
    expect(r.stdout).toContain(`Created ${path}`);
    expect(existsSync(path)).toBe(true);
  });
});

describe("output for people and for scripts", () => {
  const db = freshDb();
  const hasScript = (() => {
    try {
      execFileSync("script", ["--version"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasScript)("colour only on a terminal, and never with NO_COLOR", async () => {
    await ralph(db, ["add", "coloured"]);
    const tty = await ralphOnTty(db, ["list"]);
    expect(tty.stdout).toContain("\x1b["); // the control: a terminal does get colour
    const noColor = await ralphOnTty(db, ["list"], { NO_COLOR: "1" });
    expect(noColor.stdout).toContain("task-001");
    expect(noColor.stdout).not.toContain("\x1b[");
  });

  it.skipIf(!hasScript)("a bare ralph-mcp on a terminal says what it is on stderr", async () => {
    const r = await ralphOnTty(db, []);
    expect(r.stdout).toContain("this is the stdio MCP server");
    expect(r.stdout).toContain("ralph-mcp --help");
  });

  it.each([
    ["json", {}],
    ["pretty", { RALPH_LOG_FORMAT: "pretty" }],
  ] as const)(
    "serve --http prints where it listens as a plain line; its log lines are %s",
    async (format, extra) => {
      const child = spawn(process.execPath, [CLI, "--db", db, "serve", "--http", "--port", "0"], {
        env: cleanEnv({ RALPH_LOG_LEVEL: "info", ...extra }),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (c: string) => {
        stderr += c;
      });
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding("utf8").on("data", (c: string) => {
          stdout += c;
          const match =
            /^ralph-mcp: MCP over HTTP at (http:\/\/127\.0\.0\.1:(\d+)\/mcp) \(store: .+\)\nralph-mcp: the board at http:\/\/127\.0\.0\.1:(\d+)\/ \(open it in a browser\)$/m.exec(
              stdout,
            );
          if (match?.[1] && match[2] === match[3]) resolve(match[1]);
        });
        child.once("exit", () => reject(new Error(`exited early:\n${stdout}\n${stderr}`)));
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      printed.push({ args: ["serve", "--http"], text: stdout + stderr });
      const logLine = stderr.split("\n").find((l) => l.includes("HTTP server listening")) ?? "";
      if (format === "json")
        expect(JSON.parse(logLine)).toMatchObject({ url: line, msg: "ralph-mcp HTTP server listening" });
      else {
        expect(logLine).toMatch(/^\[\d\d:\d\d:\d\d(\.\d+)?\] INFO: ralph-mcp HTTP server listening/);
        expect(logLine).toContain(line);
      }
    },
  );

  it("nothing printed names an MCP tool or carries an escape code", () => {
    expect(printed.length).toBeGreaterThan(40);
    for (const { args, text } of printed) {
      expect(text, args.join(" ")).not.toMatch(TOOL_NAMES);
      expect(text.includes("\x1b["), args.join(" ")).toBe(false);
    }
    expect(readdirSync(tmp.dir).length).toBeGreaterThan(0);
  });
});
