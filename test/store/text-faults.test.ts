/**
 * Issue 13, text in both stores, through the stdio server: any text SQLite keeps, PostgreSQL keeps
 * too. A NUL character (which PostgreSQL's text cannot hold, defect 3) or a lone UTF-16 surrogate
 * (which has no UTF-8 form, defect 8) sent in any field is refused with an error saying which field
 * and what to do; an agent's output with either is stored with U+FFFD in its place, so the task
 * completes instead of being "lost" and held by an ended run.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open.js";
import { startRaw, toolText } from "../helpers/raw-stdio.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";
import { tempDb } from "../mcp/helpers.js";

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
        raw.writeLine(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${name}","arguments":${args}}}`);
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

  maybe("defect 3: an agent's output with a NUL byte completes its task (not lost), stored with U+FFFD", async () => {
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
      const added = await raw.request("tools/call", { name: "add_task", arguments: { description: "print a NUL" } });
      const taskId = /task-\d+/.exec(toolText(added))?.[0] as string;
      const run = await raw.request("tools/call", { name: "run_orchestrator", arguments: { max_tasks: 1 } });
      expect(toolText(run)).toContain("completed 1");
      expect(toolText(run)).not.toContain("decided elsewhere");
      raw.child.stdin.end();
      await raw.exited;
      const store = await openStore(db);
      try {
        const task = await store.get(taskId);
        expect(task).toMatchObject({ status: "completed", result: "before\uFFFDafter", claimed_by: null });
        await expect(store.complete(taskId, "a\0b")).rejects.toMatchObject({ code: "invalid_input", retryable: false });
      } finally {
        await store.close();
      }
    } finally {
      raw.child.kill("SIGKILL");
      dir.cleanup();
    }
  });
});
