/**
 * Issue 13, defect 4: three kinds of store failure, each worded for what it is, through the stdio
 * server on PostgreSQL behind a proxy a test can cut. Rolled back (the database could not be
 * reached: nothing changed, the same call may be made again); outcome unknown (the connection broke
 * after the write was sent: it may have been made, so look first; never "nothing was changed");
 * permanent (test/store/store-faults.test.ts: a deleted store file, "will not help").
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";
import { startRaw, toolText } from "../helpers/raw-stdio.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import { waitFor } from "../orchestrator/helpers.js";

const havePostgres = await postgresAvailable();

describe.skipIf(!havePostgres)("store failures, worded for what they are", () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let url: string;
  beforeAll(async () => {
    database = await createTestDatabase("kinds");
    const target = new URL(database.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const through = new URL(database.url);
    through.port = String(proxy.port);
    url = through.toString();
  });
  afterAll(async () => {
    await proxy?.stop();
    await database?.drop();
  });

  it("defect 4: a write whose connection broke after it was sent is 'outcome unknown'; one that never reached the database is 'rolled back'", async () => {
    const raw = startRaw(url);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      await raw.initialize();
      await raw.request("tools/call", { name: "add_task", arguments: { description: "hold me" } });
      await raw.request("tools/call", { name: "claim_next_task", arguments: {} });

      // The task's row locked elsewhere: complete_task is sent and waits; then the connection breaks.
      await admin.query("BEGIN");
      await admin.query("SELECT * FROM ralph.tasks WHERE seq = 1 FOR UPDATE");
      raw.writeLine(
        '{"jsonrpc":"2.0","id":41,"method":"tools/call","params":{"name":"complete_task","arguments":{"task_id":"task-001","result":"done"}}}',
      );
      await waitFor(
        async () => {
          const { rows } = await admin.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
          );
          return rows[0].n > 0;
        },
        { what: "complete_task to wait on the lock" },
      );
      proxy.cut();
      const unknown = await raw.next((m) => m.id === 41);
      await admin.query("ROLLBACK");
      expect((unknown.result as { isError?: boolean }).isError).toBe(true);
      expect(toolText(unknown)).toContain("broke after the write was sent");
      expect(toolText(unknown)).toContain("may or may not have been made");
      expect(toolText(unknown)).not.toContain("Nothing was changed");

      // The database unreachable: the call never got there.
      await proxy.stop();
      const refused = await raw.request("tools/call", {
        name: "add_task",
        arguments: { description: "later" },
      });
      expect((refused.result as { isError?: boolean }).isError).toBe(true);
      expect(toolText(refused)).toContain("Nothing was changed; try the same call again");
      await proxy.start();
      const later = await raw.request("tools/call", {
        name: "add_task",
        arguments: { description: "later" },
      });
      expect(toolText(later)).toMatch(/^Created task: task-00\d$/);
    } finally {
      await admin.end().catch(() => {});
      raw.child.kill("SIGKILL");
    }
  });
});
