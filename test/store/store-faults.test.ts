/**
 * Issue 13, the stores' defects, through the real surface (the stdio server, the CLI).
 * Both stores: any text SQLite keeps, PostgreSQL keeps too. A NUL character (which PostgreSQL's
 * text cannot hold, defect 3) or a lone UTF-16 surrogate (which has no UTF-8 form, defect 8) sent
 * in any field is refused with an error saying which field and what to do; an agent's output with
 * a NUL is stored with U+FFFD in its place, so the task completes instead of being "lost" and held
 * by an ended run. complete_tasks_batch names the real cause for one task written two ways
 * (defect 7). SQLite: a store file deleted or replaced under a running server refuses writes
 * (defect 5); a read-only store at start-up gets the store's own message (defect 6).
 */
import { execFile } from "node:child_process";
import { chmodSync, copyFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";
import { startRaw, toolText } from "../helpers/raw-stdio.js";
import { CLI, serverEnv, tempDb } from "../mcp/helpers.js";

const havePostgres = await postgresAvailable();

/** The JSON text of a string with a NUL, and one with a lone surrogate (as a client would send them). */
const NUL = '"a\\u0000b"';
const LONE = '"a\\ud800b"';

describe.each(["sqlite", "postgres"] as const)("text in the %s store", (kind) => {
  let db: string;
  let cleanup: () => Promise<void> | void;
  beforeAll(async () => {
    if (kind === "sqlite") {
      const tmp = tempDb();
      db = tmp.db;
      cleanup = tmp.cleanup;
    } else if (havePostgres) {
      const database: TestDatabase = await createTestDatabase("text");
      db = database.url;
      cleanup = () => database.drop();
    }
  });
  afterAll(async () => {
    await cleanup?.();
  });
  const maybe = kind === "postgres" && !havePostgres ? it.skip : it;

  maybe("defects 3 and 8: a NUL or a lone surrogate in any field is refused, naming the field", async () => {
    const dir = tempDb();
    const raw = startRaw(db);
    try {
      await raw.initialize();
      await raw.request("tools/call", { name: "add_task", arguments: { description: "plain" } });
      await raw.request("tools/call", { name: "claim_next_task", arguments: {} });
      const calls: Array<[string, string, string]> = [];
      for (const [bad, what] of [
        [NUL, "NUL"],
        [LONE, "lone UTF-16 surrogate"],
      ] as const) {
        calls.push(
          ["add_task", `{"description":${bad}}`, `description contains a ${what}`],
          ["add_task", `{"description":"x","criteria":${bad}}`, `criteria contains a ${what}`],
          ["add_task", `{"description":"x","tags":[${bad}]}`, `contains a ${what}`],
          ["add_task", `{"description":"x","idempotency_key":${bad}}`, `idempotency_key contains a ${what}`],
          ["complete_task", `{"task_id":"task-001","result":${bad}}`, `result contains a ${what}`],
          ["fail_task", `{"task_id":"task-001","reason":${bad}}`, `reason contains a ${what}`],
          ["retry_task", `{"task_id":"task-001","feedback":${bad}}`, `feedback contains a ${what}`],
        );
      }
      let id = 500;
      for (const [name, args, expected] of calls) {
        id += 1;
        raw.writeLine(
          `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${name}","arguments":${args}}}`,
        );
        const reply = await raw.next((m) => m.id === id);
        expect((reply.result as { isError?: boolean }).isError, `${name} ${args}`).toBe(true);
        expect(toolText(reply), `${name} ${args}`).toContain(expected);
      }
      const task = await raw.request("tools/call", { name: "get_task", arguments: { task_id: "task-001" } });
      expect(toolText(task)).toContain("in_progress");
    } finally {
      raw.child.kill("SIGKILL");
      dir.cleanup();
    }
  });

  maybe(
    "defect 3: an agent's output with a NUL byte completes its task (not lost), stored with U+FFFD",
    async () => {
      const dir = tempDb();
      const out = join(dir.dir, "out.bin");
      writeFileSync(out, Buffer.concat([Buffer.from("before"), Buffer.from([0]), Buffer.from("after")]));
      const raw = startRaw(db, {
        RALPH_EXECUTOR: "command",
        RALPH_EXECUTOR_COMMAND: `cat '${out}'`,
        RALPH_VERIFIER: "none",
      });
      try {
        await raw.initialize();
        const added = await raw.request("tools/call", {
          name: "add_task",
          arguments: { description: "print a NUL" },
        });
        const taskId = /task-\d+/.exec(toolText(added))?.[0] as string;
        const run = await raw.request("tools/call", {
          name: "run_orchestrator",
          arguments: { max_tasks: 1 },
        });
        expect(toolText(run)).toContain("completed 1");
        expect(toolText(run)).not.toContain("decided elsewhere");
        raw.child.stdin.end();
        await raw.exited;
        const store = await openStore(db);
        try {
          const task = await store.get(taskId);
          expect(task).toMatchObject({ status: "completed", result: "before\uFFFDafter", claimed_by: null });
          await expect(store.complete(taskId, "a\0b")).rejects.toMatchObject({
            code: "invalid_input",
            retryable: false,
          });
        } finally {
          await store.close();
        }
      } finally {
        raw.child.kill("SIGKILL");
        dir.cleanup();
      }
    },
  );

  maybe(
    "defect 7: complete_tasks_batch with one task written two ways says so, and changes nothing",
    async () => {
      const raw = startRaw(db);
      try {
        await raw.initialize();
        const added = await raw.request("tools/call", {
          name: "add_task",
          arguments: { description: "alias" },
        });
        const taskId = /task-\d+/.exec(toolText(added))?.[0] as string;
        const alias = taskId.replace("task-", "task-0");
        const reply = await raw.request("tools/call", {
          name: "complete_tasks_batch",
          arguments: { task_ids: [taskId, alias, ` ${taskId}`], result: "done" },
        });
        expect((reply.result as { isError?: boolean }).isError).toBe(true);
        expect(toolText(reply)).toContain(
          `task_ids names ${taskId} twice ("${taskId}" and "${alias}" are the same task)`,
        );
        expect(toolText(reply)).not.toContain("already completed");
        const task = await raw.request("tools/call", { name: "get_task", arguments: { task_id: taskId } });
        expect(toolText(task)).toContain("pending");
      } finally {
        raw.child.kill("SIGKILL");
      }
    },
  );
});

describe("the SQLite store's file", () => {
  it("defect 5: a store file deleted, or replaced, under a running server refuses writes instead of acknowledging them", async () => {
    const tmp = tempDb();
    const other = tempDb();
    const raw = startRaw(tmp.db);
    try {
      await raw.initialize();
      const first = await raw.request("tools/call", { name: "add_task", arguments: { description: "kept" } });
      expect(toolText(first)).toBe("Created task: task-001");
      for (const suffix of ["", "-wal", "-shm"]) rmSync(`${tmp.db}${suffix}`, { force: true });
      const refused = await raw.request("tools/call", {
        name: "add_task",
        arguments: { description: "lost?" },
      });
      expect((refused.result as { isError?: boolean }).isError).toBe(true);
      expect(toolText(refused)).toContain(
        `The task database ${tmp.db} was deleted while this server was running`,
      );
      expect(toolText(refused)).toContain("will not help");

      // Another store's file put at the path: still not ours.
      const store = await openStore(other.db);
      await store.create({ description: "someone else's" });
      await store.close();
      copyFileSync(other.db, tmp.db);
      const again = await raw.request("tools/call", {
        name: "add_task",
        arguments: { description: "lost?" },
      });
      expect(toolText(again)).toContain("was replaced by another file");
    } finally {
      raw.child.kill("SIGKILL");
      tmp.cleanup();
      other.cleanup();
    }
  });

  it("defect 6: a read-only store at start-up gets the store's message naming the file and RALPH_DB, not a stack trace", async () => {
    const tmp = tempDb();
    try {
      const store = await openStore(tmp.db);
      await store.create({ description: "made while writable" });
      await store.close();
      for (const suffix of ["-wal", "-shm"]) rmSync(`${tmp.db}${suffix}`, { force: true });
      // Take the folder's write bits away. Root writes anywhere all the same: as root, run the
      // server without the capability that lets it (util-linux's setpriv), still as root, so it
      // can read the project wherever it was cloned (another user may not reach a 0700 folder).
      const asRoot = process.getuid?.() === 0;
      chmodSync(tmp.dir, 0o555);
      chmodSync(tmp.db, 0o644);
      const [command, args] = asRoot
        ? ["setpriv", ["--bounding-set=-dac_override,-dac_read_search", "--", process.execPath, CLI, "list"]]
        : [process.execPath, [CLI, "list"]];
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = execFile(command, args, { env: serverEnv(tmp.db) }, (error, _stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr }),
        );
        child.stdin?.end();
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`Cannot open the task database at ${tmp.db}`);
      expect(result.stderr).toContain("RALPH_DB");
      expect(result.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
    } finally {
      chmodSync(tmp.dir, 0o755);
      tmp.cleanup();
    }
  });
});
