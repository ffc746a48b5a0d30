/**
 * What only the PostgreSQL store has to prove, beyond the shared contract: migrations under
 * concurrent starts, the pinned schema, error normalisation, surviving dropped connections and a
 * database that goes away and comes back, races between servers, and the change feed's encoding.
 */
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { RalphError, StoreUnavailableError } from "../../src/domain/errors.js";
import { parseTaskId } from "../../src/domain/ids.js";
import { normalizeError } from "../../src/store/postgres/errors.js";
import { compact, encodePayloads } from "../../src/store/postgres/feed.js";
import {
  openPostgresStore,
  type PostgresStoreOptions,
  type PostgresTaskStore,
} from "../../src/store/postgres/store.js";
import type { ChangeEvent } from "../../src/store/types.js";
import { ADMIN_URL, createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";
import { rejection } from "./contract.js";

const available = await postgresAvailable();

describe.runIf(available)("PostgreSQL store", () => {
  let database: TestDatabase;
  let schema: string;
  const opened: PostgresTaskStore[] = [];
  const open = async (options: Partial<PostgresStoreOptions> = {}) => {
    const store = await openPostgresStore({ connectionString: database.url, schema, ...options });
    opened.push(store);
    return store;
  };
  /** Every connection the stores of this test file hold (pool and LISTEN), ended by the server. */
  const terminateStoreConnections = () =>
    database.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'ralph-mcp%'",
    );

  beforeAll(async () => {
    database = await createTestDatabase("store");
  });
  afterAll(async () => {
    await database?.drop();
  });
  beforeEach(() => {
    schema = database.newSchema();
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  describe("migrations", () => {
    it("ten servers starting at once: one migrates, all work", async () => {
      const stores = await Promise.all(Array.from({ length: 10 }, () => open({ poolSize: 1 })));
      expect(
        await database.query(`SELECT version, name FROM ${schema}.schema_migrations ORDER BY version`),
      ).toEqual([
        { version: 1, name: "tasks, dependencies" },
        { version: 2, name: "orchestrator runs" },
        { version: 3, name: "a task's back-off: not_before" },
        { version: 4, name: "executions' output tails" },
      ]);
      await Promise.all(stores.map((s, i) => s.create({ description: `from server ${i}` })));
      expect((await stores[0]?.stats())?.total).toBe(10);
    });

    it("refuses a schema newer than it knows, without retrying", async () => {
      await open();
      await database.query(
        `INSERT INTO ${schema}.schema_migrations (version, name) VALUES (999, 'from the future')`,
      );
      const error = await rejection(
        openPostgresStore({ connectionString: database.url, schema }),
        "store_unavailable",
      );
      expect(error.message).toMatch(/version 999, newer than this ralph-mcp knows \(4\)\. Upgrade ralph-mcp/);
      expect(error.retryable).toBe(false);
    });

    it("takes the schema from the URL's ?schema= parameter (RALPH_DB=postgres://…?schema=team_a)", async () => {
      const url = new URL(database.url);
      url.searchParams.set("schema", schema);
      const store = await openPostgresStore({ connectionString: url.toString() });
      opened.push(store);
      expect(store.schema).toBe(schema);
      expect(store.location).toContain(`(schema ${schema})`);
      await store.create({ description: "in its own schema" });
      expect(await database.query(`SELECT description FROM ${schema}.tasks`)).toEqual([
        { description: "in its own schema" },
      ]);
    });

    it("takes only a plain schema name (it is the one identifier in the SQL text)", async () => {
      for (const bad of ['x"; DROP TABLE tasks; --', "Upper", "", "a".repeat(41)]) {
        await rejection(openPostgresStore({ connectionString: database.url, schema: bad }), "invalid_input");
      }
    });

    it("pins the schema: a change must come as a new migration", async () => {
      await open();
      const columns = await database.query<{ t: string }>(
        `SELECT table_name || '.' || column_name || ' ' || data_type || (CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END)
           || coalesce(' default ' || column_default, '') AS t
         FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
        [schema],
      );
      const indexes = await database.query<{ d: string }>(
        "SELECT indexdef AS d FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname",
        [schema],
      );
      const constraints = await database.query<{ d: string }>(
        `SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS d
         FROM pg_constraint WHERE connamespace = $1::regnamespace AND contype IN ('c', 'f') ORDER BY conname`,
        [schema],
      );
      const shown = [...columns, ...indexes, ...constraints]
        .map((r) => ("t" in r ? r.t : r.d))
        .map((line) => line.replaceAll(`${schema}.`, "<schema>."));
      expect(shown).toMatchInlineSnapshot(`
        [
          "run_output.id bigint not null default nextval('<schema>.run_output_id_seq'::regclass)",
          "run_output.run_seq bigint not null",
          "run_output.task_id text not null",
          "run_output.attempt integer not null",
          "run_output.worker integer",
          "run_output.text text not null",
          "run_output.dropped_bytes integer not null default 0",
          "run_output.updated_at timestamp with time zone not null",
          "runs.seq bigint not null default nextval('<schema>.run_seq'::regclass)",
          "runs.started_at timestamp with time zone not null",
          "runs.updated_at timestamp with time zone not null",
          "runs.finished_at timestamp with time zone",
          "runs.max_tasks integer not null",
          "runs.cancel_requested boolean not null default false",
          "runs.status text not null",
          "runs.stop_code text",
          "runs.stop_reason text",
          "runs.worker_id text not null",
          "runs.settings jsonb not null",
          "runs.stats jsonb not null",
          "runs.current jsonb",
          "schema_migrations.version integer not null",
          "schema_migrations.name text not null",
          "schema_migrations.applied_at timestamp with time zone not null default now()",
          "task_deps.task_seq bigint not null",
          "task_deps.dep_seq bigint not null",
          "tasks.seq bigint not null default nextval('<schema>.task_seq'::regclass)",
          "tasks.created_at timestamp with time zone not null",
          "tasks.updated_at timestamp with time zone not null",
          "tasks.started_at timestamp with time zone",
          "tasks.completed_at timestamp with time zone",
          "tasks.lease_expires_at timestamp with time zone",
          "tasks.unmet_deps integer not null default 0",
          "tasks.priority smallint not null",
          "tasks.max_attempts smallint not null",
          "tasks.attempts smallint not null default 0",
          "tasks.has_dependents boolean not null default false",
          "tasks.status text not null",
          "tasks.claimed_by text",
          "tasks.description text not null",
          "tasks.criteria text",
          "tasks.result text",
          "tasks.failure_reason text",
          "tasks.idempotency_key text",
          "tasks.feedback jsonb",
          "tasks.depends_on jsonb",
          "tasks.tags jsonb",
          "tasks.not_before timestamp with time zone",
          "CREATE UNIQUE INDEX run_output_pkey ON <schema>.run_output USING btree (id)",
          "CREATE UNIQUE INDEX run_output_run_seq_task_id_attempt_key ON <schema>.run_output USING btree (run_seq, task_id, attempt)",
          "CREATE UNIQUE INDEX runs_pkey ON <schema>.runs USING btree (seq)",
          "CREATE INDEX runs_running ON <schema>.runs USING btree (updated_at) WHERE (status = 'running'::text)",
          "CREATE UNIQUE INDEX schema_migrations_pkey ON <schema>.schema_migrations USING btree (version)",
          "CREATE INDEX task_deps_by_dep ON <schema>.task_deps USING btree (dep_seq, task_seq)",
          "CREATE UNIQUE INDEX task_deps_pkey ON <schema>.task_deps USING btree (task_seq, dep_seq)",
          "CREATE INDEX tasks_blocked ON <schema>.tasks USING btree (seq) WHERE ((status = 'pending'::text) AND (unmet_deps > 0))",
          "CREATE INDEX tasks_failed ON <schema>.tasks USING btree (seq) WHERE (status = 'failed'::text)",
          "CREATE UNIQUE INDEX tasks_idempotency_key ON <schema>.tasks USING btree (idempotency_key) WHERE (idempotency_key IS NOT NULL)",
          "CREATE INDEX tasks_pending ON <schema>.tasks USING btree (seq) WHERE (status = 'pending'::text)",
          "CREATE UNIQUE INDEX tasks_pkey ON <schema>.tasks USING btree (seq)",
          "CREATE INDEX tasks_ready ON <schema>.tasks USING btree (priority, seq) WHERE ((status = 'pending'::text) AND (unmet_deps = 0))",
          "CREATE INDEX tasks_running ON <schema>.tasks USING btree (seq) INCLUDE (lease_expires_at) WHERE (status = 'in_progress'::text)",
          "<schema>.run_output run_output_run_seq_fkey FOREIGN KEY (run_seq) REFERENCES <schema>.runs(seq) ON DELETE CASCADE",
          "<schema>.runs runs_status_check CHECK ((status = ANY (ARRAY['running'::text, 'finished'::text, 'stopped'::text, 'cancelled'::text, 'error'::text, 'abandoned'::text])))",
          "<schema>.task_deps task_deps_dep_seq_fkey FOREIGN KEY (dep_seq) REFERENCES <schema>.tasks(seq) ON DELETE CASCADE",
          "<schema>.task_deps task_deps_task_seq_fkey FOREIGN KEY (task_seq) REFERENCES <schema>.tasks(seq) ON DELETE CASCADE",
          "<schema>.tasks tasks_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'in_progress'::text, 'completed'::text, 'failed'::text])))",
        ]
      `);
    });
  });

  describe("errors", () => {
    it("an unreachable server fails fast with a retryable error", async () => {
      const started = Date.now();
      const error = await rejection(
        openPostgresStore({ connectionString: "postgres://postgres@127.0.0.1:1/nothing" }),
        "store_unavailable",
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/refused the connection.*acknowledged before is safe/);
      expect(error.message).not.toMatch(/password/);
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it("retryable or not is decided by SQLSTATE and socket codes, in one place", () => {
      const serverError = (code: string) => Object.assign(new pg.DatabaseError("boom", 0, "error"), { code });
      const cases: Array<[unknown, boolean]> = [
        [serverError("40P01"), true], // deadlock
        [serverError("40001"), true], // serialization failure
        [serverError("57P01"), true], // admin shutdown, pg_terminate_backend
        [serverError("57P03"), true], // starting up
        [serverError("53300"), true], // too many connections
        [serverError("08006"), true], // connection failure
        [serverError("57014"), true], // statement timeout
        [serverError("23505"), false], // unique violation: a bug, not an outage
        [serverError("42P01"), false], // undefined table
        [Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), true],
        [Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }), true],
        [new Error("Connection terminated unexpectedly"), true],
        [new TypeError("x is not a function"), false], // a programming error is not an outage
      ];
      for (const [error, retryable] of cases) {
        const normalized = normalizeError(error, "db");
        expect(normalized).toBeInstanceOf(RalphError);
        expect(normalized.code).toBe("store_unavailable");
        expect(normalized.retryable).toBe(retryable);
      }
      const domain = new RalphError("not_found", "No task task-9");
      expect(normalizeError(domain, "db")).toBe(domain);
    });

    it("a statement that runs past the timeout is a retryable error, and the row is unchanged", async () => {
      const store = await open({ statementTimeoutMs: 200 });
      const { task } = await store.create({ description: "locked elsewhere" });
      const holder = new pg.Client({ connectionString: database.url });
      await holder.connect();
      try {
        await holder.query("BEGIN");
        await holder.query(`SELECT 1 FROM ${schema}.tasks WHERE seq = $1 FOR UPDATE`, [parseTaskId(task.id)]);
        const error = await rejection(store.complete(task.id, "r"), "store_unavailable");
        expect(error.retryable).toBe(true);
        expect(error.message).toMatch(/took too long/);
        await holder.query("ROLLBACK");
        expect((await store.get(task.id)).status).toBe("pending");
        expect((await store.complete(task.id, "r")).status).toBe("completed");
      } finally {
        await holder.end();
      }
    });

    it("under CI, an unreachable PostgreSQL fails the tests instead of skipping them", async () => {
      await expect(postgresAvailable("postgres://postgres@127.0.0.1:1/x", true)).rejects.toThrow(
        /must run in CI/,
      );
    });
  });

  describe("connection loss", () => {
    it("connections ended by the server mid-traffic: errors are retryable, acknowledged writes stay, work resumes, the feed resets", async () => {
      const store = await open({ poolSize: 3 });
      const other = await open({ poolSize: 2 });
      const events: ChangeEvent[] = [];
      store.onChange((e) => events.push(e));
      const acknowledged: string[] = [];
      const failures: unknown[] = [];
      let stop = false;
      const writer = (async () => {
        for (let i = 0; !stop; i++) {
          try {
            acknowledged.push((await store.create({ description: `write ${i}` })).task.id);
          } catch (error) {
            failures.push(error);
          }
        }
      })();
      try {
        for (let round = 1; round <= 3; round++) {
          await vi.waitFor(() => expect(acknowledged.length).toBeGreaterThan(20 * round), {
            timeout: 10_000,
          });
          await terminateStoreConnections();
        }
        const afterKills = acknowledged.length;
        await vi.waitFor(() => expect(acknowledged.length).toBeGreaterThan(afterKills + 20), {
          timeout: 10_000,
        });
      } finally {
        stop = true;
        await writer;
      }
      // Rolled back (retryable), or, for a write sent just before its connection was ended, outcome
      // unknown (not retryable: it may have been made); never anything else.
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(StoreUnavailableError);
        const kind = (failure as StoreUnavailableError).failure;
        expect(["rolled_back", "outcome_unknown"]).toContain(kind);
        expect((failure as RalphError).retryable).toBe(kind === "rolled_back");
      }
      const stored = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await other.list({ limit: 500, cursor });
        for (const t of page.tasks) stored.add(t.id);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      for (const id of acknowledged) expect(stored.has(id)).toBe(true);

      // The LISTEN connection came back by itself and said that anything may have changed...
      await vi.waitFor(
        () => expect(events.some((e) => e.kind === "reset" && e.taskIds === null && e.remote)).toBe(true),
        { timeout: 10_000 },
      );
      await vi.waitFor(() => expect(store.listening).toBe(true), { timeout: 10_000 });
      // ...and hears other servers again.
      const { task } = await other.create({ description: "after the reconnect" });
      await vi.waitFor(
        () =>
          expect(events.some((e) => e.kind === "created" && e.remote && e.taskIds?.includes(task.id))).toBe(
            true,
          ),
        { timeout: 1_000 },
      );
    });

    it("a database that goes away and comes back: calls fail fast and retryable while it is down, then work; nothing is lost", async () => {
      const target = new URL(ADMIN_URL);
      const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
      try {
        const url = new URL(database.url);
        url.hostname = "127.0.0.1";
        url.port = String(proxy.port);
        const store = await openPostgresStore({
          connectionString: url.toString(),
          schema,
          connectTimeoutMs: 1_000,
        });
        opened.push(store);
        const events: ChangeEvent[] = [];
        store.onChange((e) => events.push(e));
        const before = await store.createBatch([{ description: "before 1" }, { description: "before 2" }]);
        await store.claimNext({ workerId: "w" });

        await proxy.stop();
        const calls = [
          () => store.get(before[0]?.task.id as string),
          () => store.create({ description: "while down" }),
          () => store.claimNext({ workerId: "w" }),
          () => store.complete(before[0]?.task.id as string, "r"),
          () => store.stats(),
          () => store.list(),
        ];
        for (const call of calls) {
          const started = Date.now();
          const error = await rejection(call(), "store_unavailable");
          expect(error.retryable).toBe(true);
          expect(error.message).toMatch(/unavailable: .*acknowledged before is safe/);
          expect(Date.now() - started).toBeLessThan(2_000);
        }
        await vi.waitFor(() => expect(store.listening).toBe(false), { timeout: 5_000 });

        await proxy.start();
        const first = await vi.waitFor(async () => store.get(before[0]?.task.id as string), {
          timeout: 10_000,
          interval: 100,
        });
        expect(first).toMatchObject({ description: "before 1", status: "in_progress", claimed_by: "w" });
        expect((await store.complete(first.id, "done after the restart", { workerId: "w" })).status).toBe(
          "completed",
        );
        expect((await store.create({ description: "after" })).created).toBe(true);
        expect(await store.stats()).toMatchObject({ total: 3, completed: 1, pending: 2 });
        await vi.waitFor(
          () => expect(events.some((e) => e.kind === "reset" && e.taskIds === null && e.remote)).toBe(true),
          { timeout: 15_000 },
        );
      } finally {
        await proxy.stop();
      }
    });
  });

  describe("races between servers", () => {
    it("the same idempotency key added at once through two servers creates one task", async () => {
      const a = await open();
      const b = await open();
      const { task: dep } = await a.create({ description: "a dependency" });
      for (let i = 0; i < 20; i++) {
        // Plain adds (one statement) and adds with a dependency (a transaction) both.
        const extra = i % 2 === 0 ? {} : { depends_on: [dep.id] };
        const [x, y] = await Promise.all([
          a.create({ description: "through a", idempotency_key: `k${i}`, ...extra }),
          b.create({ description: "through b", idempotency_key: `k${i}`, ...extra }),
        ]);
        expect(x.task.id).toBe(y.task.id);
        expect([x.created, y.created].filter(Boolean)).toHaveLength(1);
      }
      expect((await a.stats()).total).toBe(21);
    });

    it("adding a task that names a dependency while another server completes or reopens it keeps the counter exact", async () => {
      const a = await open();
      const b = await open();
      const unmet = async (id: string) =>
        (
          await database.query<{ n: number }>(`SELECT unmet_deps AS n FROM ${schema}.tasks WHERE seq = $1`, [
            parseTaskId(id),
          ])
        )[0]?.n;
      for (let i = 0; i < 15; i++) {
        const { task: dep } = await a.create({ description: `dep ${i}` });
        const [, added] = await Promise.all([
          b.complete(dep.id, "ok"),
          a.create({ description: `after ${i}`, depends_on: [dep.id] }),
        ]);
        expect(await unmet(added.task.id)).toBe(0);
        const [, again] = await Promise.all([
          b.retry(dep.id, "reopened"),
          a.create({ description: `after ${i}, again`, depends_on: [dep.id] }),
        ]);
        expect(await unmet(again.task.id)).toBe(1);
        expect(await unmet(added.task.id)).toBe(1);
      }
    });
  });

  describe("group commit (calls made together in one process share a statement)", () => {
    it("claims made together get distinct tasks, each with its own worker and lease", async () => {
      const store = await open();
      await store.createBatch(Array.from({ length: 10 }, (_, i) => ({ description: `t${i}` })));
      const claims = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          store.claimNext({ workerId: `w${i}`, leaseMs: 60_000 + i * 1_000 }),
        ),
      );
      const taken = claims.filter((t): t is NonNullable<typeof t> => t !== null);
      expect(taken).toHaveLength(10);
      expect(new Set(taken.map((t) => t.id)).size).toBe(10);
      claims.forEach((t, i) => {
        if (!t) return;
        expect(t.claimed_by).toBe(`w${i}`);
        expect(Date.parse(t.lease_expires_at ?? "") - Date.parse(t.started_at ?? "")).toBe(
          60_000 + i * 1_000,
        );
      });
      expect((await store.stats()).in_progress).toBe(10);
    });

    it("completions made together keep their own outcome: done, already done, wrong worker, dependents freed", async () => {
      const store = await open();
      const [a, b, c, d] = (
        await store.createBatch([
          { description: "a" },
          { description: "b" },
          { description: "c" },
          { description: "d" },
        ])
      ).map((r) => r.task.id) as [string, string, string, string];
      const { task: dependent } = await store.create({ description: "after c", depends_on: [c] });
      for (const worker of ["w1", "w2", "w3"]) await store.claimNext({ workerId: worker });
      // A claim under way alongside: nobody is alone, so the five completions share one statement.
      const [, ...outcomes] = await Promise.allSettled([
        store.claimNext({ workerId: "alongside" }),
        store.complete(a, "first", { workerId: "w1" }),
        store.complete(a, "second", { workerId: "w1" }),
        store.complete(b, "not mine", { workerId: "w9" }),
        store.complete(c, "frees its dependent", { workerId: "w3" }),
        store.complete(d, "from pending"),
      ]);
      expect(outcomes[0]).toMatchObject({ status: "fulfilled", value: { id: a, result: "first" } });
      expect(outcomes[1]).toMatchObject({ status: "rejected", reason: { code: "invalid_transition" } });
      expect(String((outcomes[1] as PromiseRejectedResult).reason.message)).toMatch(/already completed/);
      expect(outcomes[2]).toMatchObject({ status: "rejected", reason: { code: "conflict" } });
      expect(outcomes[3]).toMatchObject({ status: "fulfilled", value: { id: c, status: "completed" } });
      expect(outcomes[4]).toMatchObject({ status: "fulfilled", value: { id: d, status: "completed" } });
      expect((await store.get(b)).status).toBe("in_progress");
      expect((await store.peekNext())?.id).toBe(dependent.id);
    });
  });

  describe("change feed", () => {
    it("hears every id of a burst too big for one notification", async () => {
      const store = await open();
      const other = await open();
      const heard = new Set<string>();
      store.onChange((e) => {
        if (e.kind === "created" && e.remote) for (const id of e.taskIds ?? []) heard.add(id);
      });
      const batches = await Promise.all(
        Array.from({ length: 4 }, (_, b) =>
          other.createBatch(Array.from({ length: 500 }, (_, i) => ({ description: `burst ${b}.${i}` }))),
        ),
      );
      const ids = batches.flat().map((r) => r.task.id);
      await vi.waitFor(() => expect(heard.size).toBe(2_000), { timeout: 2_000 });
      expect([...heard].sort()).toEqual(ids.sort());
    });
  });
});

describe.skipIf(available)("PostgreSQL store (PostgreSQL not reachable)", () => {
  it("runs when PostgreSQL is reachable", () => {});
});

describe("change feed encoding", () => {
  it("splits payloads under PostgreSQL's 8,000-byte limit and loses no id", () => {
    const seqs = Array.from({ length: 5_000 }, (_, i) => 1_000_000 + i);
    const payloads = encodePayloads("origin", [
      { kind: "created", seqs },
      { kind: "updated", seqs: [1, 2, 3] },
      { kind: "reset", seqs: null },
    ]);
    expect(payloads.length).toBeGreaterThan(1);
    const events: Array<[string, number[] | null]> = [];
    for (const p of payloads) {
      expect(Buffer.byteLength(p)).toBeLessThan(8_000);
      const parsed = JSON.parse(p) as { o: string; e: Array<[string, number[] | null]> };
      expect(parsed.o).toBe("origin");
      events.push(...parsed.e);
    }
    expect(events.filter(([k]) => k === "created").flatMap(([, s]) => s ?? [])).toEqual(seqs);
    expect(events.filter(([k]) => k !== "created")).toEqual([
      ["updated", [1, 2, 3]],
      ["reset", null],
    ]);
  });

  it("coalesces: neighbours of a kind merge, a reset makes what came before moot, too many ids become a reset", () => {
    expect(
      compact([
        { kind: "updated", seqs: [1] },
        { kind: "updated", seqs: [2, 1] },
        { kind: "created", seqs: [3] },
      ]),
    ).toEqual([
      { kind: "updated", seqs: [1, 2] },
      { kind: "created", seqs: [3] },
    ]);
    expect(
      compact([
        { kind: "updated", seqs: [1] },
        { kind: "reset", seqs: null },
        { kind: "deleted", seqs: [4] },
      ]),
    ).toEqual([
      { kind: "reset", seqs: null },
      { kind: "deleted", seqs: [4] },
    ]);
    const many = Array.from({ length: 25_000 }, (_, i) => i + 1);
    expect(compact([{ kind: "created", seqs: many }])).toEqual([{ kind: "reset", seqs: null }]);
  });
});
