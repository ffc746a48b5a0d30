/**
 * The scale-out store: many servers and workers on many machines share one PostgreSQL database.
 *
 * Hot paths are single statements (one round trip, no BEGIN/COMMIT): claimNext (sql/claim.ts,
 * FOR NO KEY UPDATE SKIP LOCKED), complete of a task nobody depends on (sql/complete.ts), and an
 * add without dependencies (sql/create.ts). Claims and completions made at the same time in this
 * process share one statement and one commit (batch.ts). Everything else takes the locking path:
 * a short READ COMMITTED transaction that locks the task rows, applies the domain's transition
 * (src/domain/transitions.ts) in JavaScript, and writes the result back (sql/transition.ts).
 *
 * Every value is a bound parameter. The schema name is the one identifier in the SQL text; it is
 * checked against a strict pattern and quoted. Driver and server errors leave through errors.ts,
 * retryable ones (a restart, a dropped connection, a deadlock victim) as StoreUnavailableError.
 * Change events: feed.ts (LISTEN/NOTIFY, kept out of the write transactions).
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import {
  type NotFoundError,
  noIds,
  RalphError,
  repeatedIds,
  StoreUnavailableError,
  taskNotFound,
  unknownDependency,
  ValidationError,
} from "../../domain/errors.js";
import { formatTaskId, tryParseTaskId } from "../../domain/ids.js";
import {
  emptyCounts,
  type Feedback,
  type FeedbackSource,
  isTaskStatus,
  LIMITS,
  type NewTask,
  statsFromCounts,
  type Task,
  type TaskStats,
  type TaskStatus,
} from "../../domain/task.js";
import * as T from "../../domain/transitions.js";
import { type ValidNewTask, validateBatch } from "../../domain/validate.js";
import { log } from "../../log.js";
import { decodeCursor, encodeCursor } from "../cursor.js";
import {
  type ChangeListener,
  type ClaimOptions,
  type CreateResult,
  DEFAULT_LEASE_MS,
  DEFAULT_LIST_LIMIT,
  type ListQuery,
  type RunStore,
  type TaskPage,
  type TaskStore,
  type WorkerOptions,
} from "../types.js";
import { Batcher } from "./batch.js";
import { Database, type Queryable, RetryTransaction } from "./db.js";
import { ChangeFeed, type ChangeRecord } from "./feed.js";
import { migrate } from "./migrations.js";
import { PostgresRunStore } from "./runs.js";
import { buildStatements, type Statements } from "./sql/index.js";
import { storeTypes } from "./types.js";

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:5432/database`; every `pg` connection-string option works. */
  connectionString: string;
  /**
   * The schema that holds the queue's tables, created when missing: this option, else the
   * connection string's `?schema=` parameter, else "ralph". Several queues can share one database
   * under different schemas. Lowercase letters, digits and `_`.
   */
  schema?: string | undefined;
  /** Most connections the store's pool opens (default 10); the change feed holds one more. */
  poolSize?: number | undefined;
  /** How long a call waits for a connection, new or from a busy pool, before failing (default 5,000 ms). */
  connectTimeoutMs?: number | undefined;
  /** Server-side limit on one statement (default 30,000 ms). */
  statementTimeoutMs?: number | undefined;
  /** Shown in pg_stat_activity (default "ralph-mcp"). */
  applicationName?: string | undefined;
}

/** One plain completion, as it goes into a batch (batch.ts). */
interface CompleteRequest {
  seq: number;
  result: string;
  workerId: string | null;
  requireHeld: boolean;
}

/** How often a claiming store looks for stalled claims while it finds work (ms). */
const EXPIRY_CHECK_MS = 1_000;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

/** A row of the tasks table as `pg` returns it (bigint as string, timestamptz as ISO string (types.ts), jsonb parsed). */
interface Row {
  seq: string;
  description: string;
  criteria: string | null;
  priority: number;
  max_attempts: number;
  attempts: number;
  status: TaskStatus;
  result: string | null;
  failure_reason: string | null;
  feedback: Feedback[] | null;
  depends_on: string[] | null;
  tags: string[] | null;
  idempotency_key: string | null;
  unmet_deps: number;
  has_dependents: boolean;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string;
  lease_expires_at: string | null;
  claimed_by: string | null;
}

/** A row read by the locking path, with the database clock at that moment. */
interface LockedRow extends Row {
  now_ms: number;
}

function rowToTask(row: Row): Task {
  return {
    id: formatTaskId(Number(row.seq)),
    description: row.description,
    criteria: row.criteria,
    priority: row.priority,
    max_attempts: row.max_attempts,
    attempts: row.attempts,
    status: row.status,
    result: row.result,
    failure_reason: row.failure_reason,
    feedback: row.feedback ?? [],
    depends_on: row.depends_on ?? [],
    tags: row.tags ?? [],
    idempotency_key: row.idempotency_key,
    created_at: row.created_at,
    started_at: row.started_at,
    completed_at: row.completed_at,
    updated_at: row.updated_at,
    lease_expires_at: row.lease_expires_at,
    claimed_by: row.claimed_by,
  };
}

/** The connection string for people: the password replaced. */
export function redactConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return connectionString.replace(/:[^:@/]*@/, ":***@");
  }
}

/** Our own `?schema=` parameter, taken out of the URL before `pg` sees it. */
function splitSchema(connectionString: string): { connectionString: string; schema: string | undefined } {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return { connectionString, schema: undefined };
  }
  const schema = url.searchParams.get("schema");
  if (schema === null) return { connectionString, schema: undefined };
  url.searchParams.delete("schema");
  return { connectionString: url.toString(), schema };
}

/** A JSON array for a jsonb column, where NULL stands for an empty array (migrations.ts). */
const jsonArray = (items: readonly unknown[]): string | null =>
  items.length === 0 ? null : JSON.stringify(items);

/** Open (and migrate) the store; fails with a retryable StoreUnavailableError when PostgreSQL is down. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresTaskStore> {
  const store = new PostgresTaskStore(options);
  try {
    await store.open();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

export class PostgresTaskStore implements TaskStore {
  readonly kind = "postgres" as const;
  readonly location: string;
  readonly schema: string;
  readonly runs: RunStore;

  private readonly pool: pg.Pool;
  private readonly db: Database;
  private readonly sql: Statements;
  private readonly ident: string;
  private readonly feed: ChangeFeed;
  private closing: Promise<void> | null = null;
  private nextExpiryCheck = 0;
  /** Callers inside claimNext or complete right now; alone, they need not wait to be batched. */
  private hotCalls = 0;
  private readonly claims = new Batcher<{ workerId: string; leaseMs: number }, Row | null>(
    (requests) => this.claimRows(requests),
    { max: 100, maxInFlight: 4, alone: () => this.hotCalls <= 1 },
  );
  private readonly completions = new Batcher<CompleteRequest, Row | null>(
    (requests) => this.completeRows(requests),
    { max: 500, maxInFlight: 4, alone: () => this.hotCalls <= 1 },
  );

  constructor(options: PostgresStoreOptions) {
    const { connectionString, schema } = splitSchema(options.connectionString);
    this.schema = options.schema ?? schema ?? "ralph";
    if (!SCHEMA_NAME.test(this.schema)) {
      throw new ValidationError(
        `"${this.schema}" cannot be a schema name here: use 1–40 lowercase letters, digits or _, starting with a letter or _.`,
      );
    }
    this.ident = pg.escapeIdentifier(this.schema);
    this.sql = buildStatements(this.ident);
    const location = redactConnectionString(connectionString);
    this.location = this.schema === "ralph" ? location : `${location} (schema ${this.schema})`;
    const connection: pg.ClientConfig = {
      connectionString,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      application_name: options.applicationName ?? "ralph-mcp",
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      types: storeTypes,
    };
    this.pool = new pg.Pool({
      ...connection,
      max: options.poolSize ?? 10,
      idleTimeoutMillis: 30_000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      // A transaction left open by a crashed client must not hold its row locks for long.
      idle_in_transaction_session_timeout: 60_000,
    });
    // An idle pooled connection that breaks (a restart, pg_terminate_backend) is dropped by the
    // pool; without this listener the 'error' event would crash the process.
    this.pool.on("error", (error) =>
      log.debug(
        { code: (error as { code?: unknown }).code, reason: error.message },
        "postgres: an idle connection was lost",
      ),
    );
    // UTC sessions: timestamps come back in the form types.ts turns into ISO strings cheaply. The
    // query is queued ahead of the connection's first statement.
    this.pool.on("connect", (client) => {
      client.query("SET TimeZone = 'UTC'").catch(() => {});
    });
    this.db = new Database(this.pool, this.location);
    this.runs = new PostgresRunStore(this.db, this.sql, () => this.assertOpen());
    this.feed = new ChangeFeed({
      pool: this.pool,
      clientConfig: { ...connection, application_name: `${connection.application_name} listener` },
      channel: `ralph_changes_${this.schema}`,
      origin: randomUUID(),
    });
  }

  /** Migrate the schema and start listening for other servers' changes. */
  async open(): Promise<void> {
    await migrate(this.db, this.schema, this.ident);
    try {
      await this.feed.start();
    } catch (error) {
      throw new StoreUnavailableError(
        `The PostgreSQL task store (${this.location}) could not open its change-feed connection; try again in a moment.`,
        error,
      );
    }
  }

  private assertOpen(): void {
    if (this.closing) throw new RalphError("store_unavailable", "The task store is closed.");
  }

  // ---------------------------------------------------------------- create

  async create(input: NewTask): Promise<CreateResult> {
    const [result] = await this.insertTasks([input]);
    return result as CreateResult;
  }

  createBatch(inputs: NewTask[]): Promise<CreateResult[]> {
    return this.insertTasks(inputs);
  }

  private async insertTasks(inputs: NewTask[]): Promise<CreateResult[]> {
    this.assertOpen();
    const batch = validateBatch(inputs);
    const withDependencies = batch.tasks.some((t) => t.depends_on.length > 0);
    const { results, created } = withDependencies
      ? await this.insertWithDependencies(inputs.length, batch.tasks, batch.localDeps)
      : await this.insertPlain(batch.tasks);
    if (created.length > 0) this.feed.publish([{ kind: "created", seqs: created }]);
    return results;
  }

  /** Tasks without dependencies: one statement (sql/create.ts insertPlain). */
  private async insertPlain(tasks: ValidNewTask[]): Promise<{ results: CreateResult[]; created: number[] }> {
    const results: Array<CreateResult | undefined> = new Array(tasks.length);
    const created: number[] = [];
    const firstWithKey = new Map<string, number>();
    let pending: number[] = [];
    tasks.forEach((task, i) => {
      const key = task.idempotency_key;
      if (key !== null) {
        if (firstWithKey.has(key)) return; // a repeat inside the batch gets the first one's task
        firstWithKey.set(key, i);
      }
      pending.push(i);
    });
    // One pass nearly always; another only when a key's task was deleted between our insert
    // finding it and our reading it.
    for (let round = 0; pending.length > 0; round++) {
      if (round === 3) {
        throw new StoreUnavailableError(
          "Tasks with these idempotency keys kept changing concurrently; try again.",
        );
      }
      const items = pending.map((i) => tasks[i] as ValidNewTask);
      const rows = await this.db.query<{ ord: number; seq: string; created_at: string }>(
        this.sql.insertPlain,
        [
          items.map((t) => t.description),
          items.map((t) => t.criteria),
          items.map((t) => t.priority),
          items.map((t) => t.max_attempts),
          items.map((t) => jsonArray(t.tags)),
          items.map((t) => t.idempotency_key),
        ],
      );
      for (const row of rows.sort((a, b) => a.ord - b.ord)) {
        const i = pending[row.ord - 1] as number;
        const seq = Number(row.seq);
        created.push(seq);
        results[i] = {
          task: T.createTask(formatTaskId(seq), tasks[i] as ValidNewTask, Date.parse(row.created_at)),
          created: true,
        };
      }
      const missing = pending.filter((i) => results[i] === undefined);
      pending = [];
      if (missing.length === 0) break;
      // Their keys were taken (before, or by a concurrent add): return the stored tasks.
      const keys = missing.map((i) => tasks[i]?.idempotency_key as string);
      const existing = await this.db.query<Row>(this.sql.byKeys, [keys], { readOnly: true });
      const byKey = new Map(existing.map((row) => [row.idempotency_key, row]));
      for (const i of missing) {
        const row = byKey.get(tasks[i]?.idempotency_key ?? null);
        if (row) results[i] = { task: rowToTask(row), created: false };
        else pending.push(i);
      }
    }
    tasks.forEach((task, i) => {
      if (results[i] !== undefined || task.idempotency_key === null) return;
      const first = results[firstWithKey.get(task.idempotency_key) as number] as CreateResult;
      results[i] = { task: first.task, created: false };
    });
    return { results: results as CreateResult[], created };
  }

  /**
   * Tasks with dependencies, in one transaction: find repeated keys, lock the dependencies (see
   * sql/create.ts for why that keeps `unmet_deps` exact), draw ids, insert tasks and edges.
   */
  private insertWithDependencies(
    batchSize: number,
    tasks: ValidNewTask[],
    localDeps: number[][],
  ): Promise<{ results: CreateResult[]; created: number[] }> {
    const keys = [...new Set(tasks.map((t) => t.idempotency_key).filter((k): k is string => k !== null))];
    return this.db.transaction(async (tx) => {
      const stored = new Map<string, Row>();
      if (keys.length > 0) {
        for (const row of await tx.query<Row>(this.sql.byKeys, [keys])) {
          stored.set(row.idempotency_key as string, row);
        }
      }
      // Each item is new, or returns a stored task (its key is taken), or repeats an earlier item's key.
      const firstWithKey = new Map<string, number>();
      tasks.forEach((task, i) => {
        const key = task.idempotency_key;
        if (key !== null && !stored.has(key) && !firstWithKey.has(key)) firstWithKey.set(key, i);
      });
      const storedRow = (i: number): Row | undefined => stored.get(tasks[i]?.idempotency_key ?? "");
      const firstOf = (i: number): number => {
        const key = tasks[i]?.idempotency_key ?? null;
        return key === null ? i : (firstWithKey.get(key) ?? i);
      };
      const newIndexes = tasks.map((_, i) => i).filter((i) => !storedRow(i) && firstOf(i) === i);

      // Lock every stored task a new item depends on: named ids, and stored tasks named by #N.
      const lockSeqs = new Set<number>();
      for (const i of newIndexes) {
        for (const dep of tasks[i]?.depends_on ?? []) {
          const seq = dep.startsWith("#") ? null : tryParseTaskId(dep);
          if (seq !== null) lockSeqs.add(seq);
        }
        for (const j of localDeps[i] ?? []) {
          const row = storedRow(j);
          if (row) lockSeqs.add(Number(row.seq));
        }
      }
      const status = new Map<number, TaskStatus>();
      if (lockSeqs.size > 0) {
        const seqs = [...lockSeqs];
        await tx.query(this.sql.flagDependencies, [seqs]);
        const locked = await tx.query<{ seq: string; status: TaskStatus }>(this.sql.lockDependencies, [seqs]);
        for (const row of locked) status.set(Number(row.seq), row.status);
      }
      for (const i of newIndexes) {
        // Every named dependency must exist (the first missing one, in batch order, is reported).
        for (const dep of tasks[i]?.depends_on ?? []) {
          if (dep.startsWith("#")) continue;
          const seq = tryParseTaskId(dep);
          if (seq !== null && status.has(seq)) continue;
          throw unknownDependency(dep, i, batchSize > 1);
        }
        // A stored task named by #N was deleted since we found it by its key: look again.
        for (const j of localDeps[i] ?? []) {
          const row = storedRow(j);
          if (row && !status.has(Number(row.seq))) throw new RetryTransaction();
        }
      }

      const drawn = await tx.query<{ seq: string; now_ms: number }>(this.sql.allocateSeqs, [
        newIndexes.length,
      ]);
      const seqs = drawn.map((r) => Number(r.seq)).sort((a, b) => a - b);
      const now = drawn[0]?.now_ms ?? Date.now();
      const seqOf = new Map<number, number>(newIndexes.map((i, k) => [i, seqs[k] as number]));
      const resolve = (j: number): number => {
        const row = storedRow(j);
        return row ? Number(row.seq) : (seqOf.get(firstOf(j)) as number);
      };

      const newSeqs = new Set(seqOf.values());
      const dependedOn = new Set<number>();
      const rows = newIndexes.map((i) => {
        const task = tasks[i] as ValidNewTask;
        const deps = new Set<number>();
        for (const dep of task.depends_on) {
          if (!dep.startsWith("#")) deps.add(tryParseTaskId(dep) as number);
        }
        const locals = localDeps[i] ?? [];
        for (const j of locals) deps.add(resolve(j));
        let unmet = 0;
        for (const d of deps) {
          if (newSeqs.has(d)) dependedOn.add(d);
          if (status.get(d) !== "completed") unmet++; // new tasks are pending
        }
        // As the SQLite store: ids as given, or in id order once #N references are resolved.
        const ordered = locals.length > 0 ? [...deps].sort((a, b) => a - b) : [...deps];
        return { i, seq: seqOf.get(i) as number, task, deps: ordered, unmet };
      });

      const inserted = await tx.query(this.sql.insertTasks, [
        rows.map((r) => r.seq),
        rows.map((r) => r.task.description),
        rows.map((r) => r.task.criteria),
        rows.map((r) => r.task.priority),
        rows.map((r) => r.task.max_attempts),
        rows.map((r) => jsonArray(r.deps.map(formatTaskId))),
        rows.map((r) => jsonArray(r.task.tags)),
        rows.map((r) => r.task.idempotency_key),
        rows.map((r) => r.unmet),
        rows.map((r) => dependedOn.has(r.seq)),
        new Date(now).toISOString(),
      ]);
      // A concurrent add committed one of our keys after we looked: start over, it is found then.
      if (inserted.length !== rows.length) throw new RetryTransaction();
      const edges = rows.flatMap((r) => r.deps.map((d) => [r.seq, d] as const));
      if (edges.length > 0) {
        await tx.query(this.sql.insertEdges, [edges.map((e) => e[0]), edges.map((e) => e[1])]);
      }

      const results: CreateResult[] = new Array(tasks.length);
      for (const r of rows) {
        results[r.i] = {
          task: T.createTask(formatTaskId(r.seq), { ...r.task, depends_on: r.deps.map(formatTaskId) }, now),
          created: true,
        };
      }
      tasks.forEach((_, i) => {
        if (results[i]) return;
        const row = storedRow(i);
        results[i] = {
          task: row ? rowToTask(row) : (results[firstOf(i)] as CreateResult).task,
          created: false,
        };
      });
      return { results, created: rows.map((r) => r.seq) };
    });
  }

  // ---------------------------------------------------------------- reads

  async get(id: string): Promise<Task> {
    this.assertOpen();
    const seq = tryParseTaskId(id);
    const rows = seq === null ? [] : await this.db.query<Row>(this.sql.getOne, [seq], { readOnly: true });
    const row = rows[0];
    if (!row) throw await this.notFound(id);
    return rowToTask(row);
  }

  async list(query: ListQuery = {}): Promise<TaskPage> {
    this.assertOpen();
    const { status, limit = DEFAULT_LIST_LIMIT, cursor } = query;
    if (status !== undefined && !isTaskStatus(status)) {
      throw new ValidationError(
        `Unknown status "${status}". Use one of: pending, in_progress, completed, failed.`,
      );
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.listLimit) {
      throw new ValidationError(`limit must be a whole number from 1 to ${LIMITS.listLimit}.`);
    }
    const after = cursor === undefined ? 0 : decodeCursor(cursor, status);
    const rows = await this.db.query<Row & { total: number }>(
      status === undefined ? this.sql.listAll : this.sql.listByStatus,
      status === undefined ? [after, limit + 1] : [after, limit + 1, status],
      { readOnly: true },
    );
    const tasks = rows.filter((r) => r.seq !== null);
    const page = tasks.slice(0, limit);
    const last = page.at(-1);
    return {
      tasks: page.map(rowToTask),
      total: rows[0]?.total ?? 0,
      nextCursor: tasks.length > limit && last ? encodeCursor(Number(last.seq), status) : null,
    };
  }

  async peekNext(): Promise<Task | null> {
    this.assertOpen();
    const [row] = await this.db.query<Row>(this.sql.peekNext, [], { readOnly: true });
    return row ? rowToTask(row) : null;
  }

  async stats(): Promise<TaskStats> {
    this.assertOpen();
    const rows = await this.db.query<{ status: string; n: number; attempts: number }>(this.sql.stats, [], {
      readOnly: true,
    });
    const counts = emptyCounts();
    let attempts = 0;
    let blocked = 0;
    for (const row of rows) {
      if (row.status === "blocked") blocked = row.n;
      else if (isTaskStatus(row.status)) {
        counts[row.status] = row.n;
        attempts += row.attempts;
      }
    }
    return statsFromCounts(counts, attempts, blocked);
  }

  async completeIds(prefix: string, limit = 20): Promise<string[]> {
    this.assertOpen();
    const rows = await this.db.query<{ seq: string }>(this.sql.recentSeqs, [5_000], { readOnly: true });
    const out: string[] = [];
    for (const { seq } of rows) {
      const id = formatTaskId(Number(seq));
      if (id.startsWith(prefix)) out.push(id);
      if (out.length >= limit) break;
    }
    return out;
  }

  private async notFound(id: string, q: Queryable | null = null): Promise<NotFoundError> {
    const rows = q
      ? await q.query<{ kind: string; seq: string }>(this.sql.suggestions)
      : await this.db.query<{ kind: string; seq: string }>(this.sql.suggestions, [], { readOnly: true });
    const ids = (kind: string) => rows.filter((r) => r.kind === kind).map((r) => formatTaskId(Number(r.seq)));
    const pending = ids("pending");
    return taskNotFound(id, pending, pending.length > 0 ? [] : ids("recent"));
  }

  // ---------------------------------------------------------------- claim and complete

  async claimNext(options: ClaimOptions): Promise<Task | null> {
    this.assertOpen();
    this.hotCalls++;
    try {
      return await this.claimNextTask(options);
    } finally {
      this.hotCalls--;
    }
  }

  private async claimNextTask(options: ClaimOptions): Promise<Task | null> {
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    // Stalled claims go back in line by the domain's rules (expireLeases): before claiming, at most
    // once a second, so a busy queue recovers them soon after their lease ends; and whenever a
    // claim finds nothing, so an idle worker picks them up at once.
    const due = Date.now() >= this.nextExpiryCheck;
    if (due) {
      this.nextExpiryCheck = Date.now() + EXPIRY_CHECK_MS;
      await this.expireLeases();
    }
    const task = await this.claimOne(options.workerId, leaseMs);
    if (task || due) return task;
    const requeued = (await this.expireLeases()).some((t) => t.status === "pending");
    return requeued ? this.claimOne(options.workerId, leaseMs) : null;
  }

  private async claimOne(workerId: string, leaseMs: number): Promise<Task | null> {
    const row = await this.claims.add({ workerId, leaseMs });
    return row ? rowToTask(row) : null;
  }

  /** Claims made together: one statement (batch.ts); a lone claim keeps the single-row statement. */
  private async claimRows(
    requests: Array<{ workerId: string; leaseMs: number }>,
  ): Promise<Array<Row | null>> {
    let rows: Array<Row | null>;
    if (requests.length === 1) {
      const [request] = requests as [{ workerId: string; leaseMs: number }];
      const [row] = await this.db.query<Row>(this.sql.claim, [request.workerId, request.leaseMs]);
      rows = [row ?? null];
    } else {
      const claimed = await this.db.query<Row & { ord: number }>(this.sql.claimMany, [
        requests.map((r) => r.workerId),
        requests.map((r) => r.leaseMs),
        requests.length,
      ]);
      const byOrd = new Map(claimed.map((row) => [row.ord, row]));
      rows = requests.map((_, i) => byOrd.get(i + 1) ?? null);
    }
    const seqs = rows.filter((r): r is Row => r !== null).map((r) => Number(r.seq));
    if (seqs.length > 0) this.feed.publish([{ kind: "updated", seqs }]);
    return rows;
  }

  /**
   * Plain completions made together: one statement (batch.ts). A task named twice in one batch is
   * left to the locking path the second time, which reports it already completed.
   */
  private async completeRows(requests: CompleteRequest[]): Promise<Array<Row | null>> {
    let rows: Array<Row | null>;
    if (requests.length === 1) {
      const [request] = requests as [CompleteRequest];
      const [row] = await this.db.query<Row>(this.sql.complete, [
        request.seq,
        request.result,
        T.ALLOWED_FROM.complete,
        request.workerId,
        request.requireHeld,
      ]);
      rows = [row ?? null];
    } else {
      const first = new Map<number, number>();
      requests.forEach((r, i) => {
        if (!first.has(r.seq)) first.set(r.seq, i);
      });
      const once = [...first.values()].map((i) => requests[i] as (typeof requests)[number]);
      const completed = await this.db.query<Row>(this.sql.completeMany, [
        once.map((r) => r.seq),
        once.map((r) => r.result),
        once.map((r) => r.workerId),
        T.ALLOWED_FROM.complete,
        once.map((r) => r.requireHeld),
      ]);
      const bySeq = new Map(completed.map((row) => [Number(row.seq), row]));
      rows = requests.map((r, i) => (first.get(r.seq) === i ? (bySeq.get(r.seq) ?? null) : null));
    }
    const seqs = rows.filter((r): r is Row => r !== null).map((r) => Number(r.seq));
    if (seqs.length > 0) this.feed.publish([{ kind: "updated", seqs }]);
    return rows;
  }

  async complete(id: string, result: string, options: WorkerOptions = {}): Promise<Task> {
    this.assertOpen();
    const seq = tryParseTaskId(id);
    if (seq !== null) {
      this.hotCalls++;
      let row: Row | null;
      try {
        row = await this.completions.add({
          seq,
          result,
          workerId: options.workerId ?? null,
          requireHeld: options.requireHeld === true,
        });
      } finally {
        this.hotCalls--;
      }
      if (row) return rowToTask(row);
    }
    // Not a plain completion: the locking path says why, or also updates the dependents.
    return this.transition(id, (task, now) => T.completeTask(task, result, { now, ...options }));
  }

  // ---------------------------------------------------------------- the locking path

  /**
   * Lock one task, apply a domain transition, write it back (sql/transition.ts). The transition may
   * read more inside the transaction through `tx`.
   */
  private async transition(
    id: string,
    apply: (task: Task, now: number, row: LockedRow, tx: Queryable) => Task | Promise<Task>,
  ): Promise<Task> {
    this.assertOpen();
    const seq = tryParseTaskId(id);
    if (seq === null) throw await this.notFound(id);
    const task = await this.db.transaction(async (tx) => {
      const [row] = await tx.query<LockedRow>(this.sql.lockOne, [seq]);
      if (!row) throw await this.notFound(id, tx);
      const after = await apply(rowToTask(row), row.now_ms, row, tx);
      const [saved] = await this.save(tx, [{ row, after }]);
      return saved as Task;
    });
    this.feed.publish([{ kind: "updated", seqs: [seq] }]);
    return task;
  }

  /** Write transitioned tasks back and move their dependents' counters; rows are locked. */
  private async save(tx: Queryable, items: Array<{ row: Row; after: Task }>): Promise<Task[]> {
    const after = items.map((item) => item.after);
    const rows = await tx.query<Row>(this.sql.save, [
      items.map((item) => item.row.seq),
      after.map((t) => t.status),
      after.map((t) => t.attempts),
      after.map((t) => t.result),
      after.map((t) => t.failure_reason),
      after.map((t) => jsonArray(t.feedback)),
      after.map((t) => t.started_at),
      after.map((t) => t.completed_at),
      after.map((t) => t.updated_at),
      after.map((t) => t.lease_expires_at),
      after.map((t) => t.claimed_by),
    ]);
    const moved = items.filter(
      ({ row, after }) =>
        row.has_dependents && (row.status === "completed") !== (after.status === "completed"),
    );
    if (moved.length > 0) {
      const deps = moved.map(({ row }) => row.seq);
      await tx.query(this.sql.lockDependents, [deps]);
      await tx.query(this.sql.adjustDependents, [
        deps,
        moved.map(({ after }) => (after.status === "completed" ? -1 : 1)),
      ]);
    }
    const bySeq = new Map(rows.map((r) => [r.seq, r]));
    return items.map(({ row }) => rowToTask(bySeq.get(row.seq) as Row));
  }

  start(id: string, options: ClaimOptions): Promise<Task> {
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    return this.transition(id, async (task, now, row, tx) =>
      T.startTask(task, {
        workerId: options.workerId,
        leaseMs,
        now,
        unmetDependencies:
          row.unmet_deps > 0
            ? (await tx.query<{ seq: string }>(this.sql.unmetDependencies, [row.seq])).map((r) =>
                formatTaskId(Number(r.seq)),
              )
            : [],
      }),
    );
  }

  renewLease(id: string, options: Required<ClaimOptions>): Promise<Task> {
    return this.transition(id, (task, now) =>
      T.renewLease(task, { now, workerId: options.workerId, leaseMs: options.leaseMs }),
    );
  }

  fail(id: string, reason: string, options: WorkerOptions = {}): Promise<Task> {
    return this.transition(id, (task, now) => T.failTask(task, reason, { now, ...options }));
  }

  retry(
    id: string,
    feedback: string,
    options: WorkerOptions & { source?: FeedbackSource } = {},
  ): Promise<Task> {
    return this.transition(id, (task, now) => T.retryTask(task, feedback, { now, ...options }));
  }

  release(id: string, options: WorkerOptions & { note?: string } = {}): Promise<Task> {
    return this.transition(id, (task, now) => T.releaseTask(task, { now, ...options }));
  }

  async completeBatch(ids: string[], result: string): Promise<Task[]> {
    this.assertOpen();
    if (ids.length === 0) throw noIds();
    if (ids.length > LIMITS.batch) {
      throw new ValidationError(
        `A batch holds at most ${LIMITS.batch} tasks (got ${ids.length}); split it into several calls.`,
      );
    }
    const unique = [...new Set(ids)];
    if (unique.length !== ids.length) {
      throw repeatedIds();
    }
    const seqs = unique.map(tryParseTaskId);
    const tasks = await this.db.transaction(async (tx) => {
      const locked = await tx.query<LockedRow>(this.sql.lockMany, [seqs.filter((s) => s !== null)]);
      const bySeq = new Map(locked.map((row) => [Number(row.seq), row]));
      const items: Array<{ row: Row; after: Task }> = [];
      for (const [k, id] of unique.entries()) {
        const seq = seqs[k];
        const row = seq === null || seq === undefined ? undefined : bySeq.get(seq);
        if (!row) throw await this.notFound(id, tx);
        items.push({ row, after: T.completeTask(rowToTask(row), result, { now: row.now_ms }) });
      }
      return this.save(tx, items);
    });
    this.feed.publish([{ kind: "updated", seqs: tasks.map((t) => tryParseTaskId(t.id) as number) }]);
    return tasks;
  }

  async expireLeases(): Promise<Task[]> {
    this.assertOpen();
    const tasks = await this.db.transaction(async (tx) => {
      const rows = await tx.query<LockedRow>(this.sql.lockExpired);
      if (rows.length === 0) return [];
      return this.save(
        tx,
        rows.map((row) => ({ row, after: T.expireLease(rowToTask(row), row.now_ms) })),
      );
    });
    if (tasks.length > 0) {
      this.feed.publish([{ kind: "updated", seqs: tasks.map((t) => tryParseTaskId(t.id) as number) }]);
    }
    return tasks;
  }

  // ---------------------------------------------------------------- whole queue

  async resetAll(): Promise<number> {
    this.assertOpen();
    const n = await this.db.transaction(async (tx) => {
      await tx.query(this.sql.allowLongStatement);
      await tx.query(this.sql.lockForReset);
      const [row] = await tx.query<{ n: number }>(this.sql.resetAll);
      return row?.n ?? 0;
    });
    this.feed.publish([{ kind: "reset", seqs: null }]);
    return n;
  }

  async clearCompleted(): Promise<number> {
    this.assertOpen();
    const { n, seqs } = await this.db.transaction(async (tx) => {
      await tx.query(this.sql.allowLongStatement);
      const [row] = await tx.query<{ n: number; seqs: string[] | null }>(this.sql.clearCompleted);
      return row ?? { n: 0, seqs: null };
    });
    if (n > 0) this.feed.publish([{ kind: "deleted", seqs: seqs === null ? null : seqs.map(Number) }]);
    return n;
  }

  // ---------------------------------------------------------------- change feed, lifecycle

  onChange(listener: ChangeListener): () => void {
    return this.feed.onChange(listener);
  }

  /** Whether this store currently hears other servers' changes (its LISTEN connection is up). */
  get listening(): boolean {
    return this.feed.listening;
  }

  /** Single-flight: a second close() waits for the first instead of ending the pool twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.feed.close();
      await this.pool.end().catch(() => {});
    })();
    return this.closing;
  }
}

export type { ChangeRecord };
