/**
 * The embedded store: one SQLite file (better-sqlite3, WAL) that several processes may share.
 *
 * Writes: every mutation is queued and the queue is committed in one `BEGIN IMMEDIATE`
 * transaction per event-loop turn (group commit), each operation inside its own savepoint so one
 * bad call fails alone. A promise resolves only after COMMIT returned, so what was acknowledged is
 * in the WAL. The write lock is taken up front and, when another process holds it, polled at short
 * random intervals (write-lock.ts) instead of SQLite's growing back-off, which starves writers.
 *
 * Reads run outside the queue against the last committed state (WAL readers never block).
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import {
  type NotFoundError,
  noIds,
  RalphError,
  repeatedIds,
  taskNotFound,
  unknownDependency,
  ValidationError,
} from "../../domain/errors.js";
import { formatTaskId, tryParseTaskId } from "../../domain/ids.js";
import {
  emptyCounts,
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
import { decodeCursor, encodeCursor } from "../cursor.js";
import {
  type ChangeEvent,
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
import { MIGRATIONS } from "./migrations.js";
import { SqliteRunStore } from "./runs.js";
import { acquireWriteLock, withBusyRetry } from "./write-lock.js";

export interface SqliteStoreOptions {
  /** The database file; created with its folder when missing. */
  path: string;
  /**
   * PRAGMA synchronous. Default "normal": in WAL mode a commit is in the WAL file before it
   * returns, so a killed process loses nothing; only an OS crash or power cut can lose the last
   * commits. "full" syncs the WAL on every commit (survives power loss, ~10x slower here).
   */
  synchronous?: "normal" | "full";
  /** How long a write waits for another process's write lock before failing (default 10 s). */
  busyTimeoutMs?: number;
  /** How often to look for other processes' changes while someone listens (default 100 ms). */
  changePollMs?: number;
}

interface Row {
  seq: number;
  description: string;
  criteria: string | null;
  priority: number;
  max_attempts: number;
  attempts: number;
  status: TaskStatus;
  result: string | null;
  failure_reason: string | null;
  feedback: string;
  depends_on: string;
  tags: string;
  idempotency_key: string | null;
  unmet_deps: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string;
  lease_expires_at: string | null;
  claimed_by: string | null;
}

interface ChangeRecord {
  kind: ChangeEvent["kind"];
  seqs: number[] | null;
}

interface QueuedWrite {
  run: (changes: ChangeRecord[]) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Keep this many change rows; a reader further behind than that resynchronises. */
const CHANGES_KEPT = 10_000;
const PRUNE_EVERY = 1_000;

function rowToTask(row: Row): Task {
  return {
    id: formatTaskId(row.seq),
    description: row.description,
    criteria: row.criteria,
    priority: row.priority,
    max_attempts: row.max_attempts,
    attempts: row.attempts,
    status: row.status,
    result: row.result,
    failure_reason: row.failure_reason,
    feedback: JSON.parse(row.feedback),
    depends_on: JSON.parse(row.depends_on),
    tags: JSON.parse(row.tags),
    idempotency_key: row.idempotency_key,
    created_at: row.created_at,
    started_at: row.started_at,
    completed_at: row.completed_at,
    updated_at: row.updated_at,
    lease_expires_at: row.lease_expires_at,
    claimed_by: row.claimed_by,
  };
}

export function openSqliteStore(options: SqliteStoreOptions): SqliteTaskStore {
  return new SqliteTaskStore(options);
}

export class SqliteTaskStore implements TaskStore {
  readonly kind = "sqlite" as const;
  readonly location: string;
  readonly runs: RunStore;

  private readonly db: Database.Database;
  private readonly origin = randomUUID();
  private readonly busyTimeoutMs: number;
  private readonly changePollMs: number;
  private readonly queue: QueuedWrite[] = [];
  private flushScheduled = false;
  private closed = false;
  private commitsSincePrune = 0;
  private lastExpiryCheck = 0;

  private readonly listeners = new Set<ChangeListener>();
  private pollTimer: NodeJS.Timeout | null = null;
  private lastDataVersion = 0;
  private lastChangeSeq = 0;

  private readonly stmt: ReturnType<SqliteTaskStore["prepare"]>;

  constructor(options: SqliteStoreOptions) {
    this.location = options.path;
    this.busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    this.changePollMs = options.changePollMs ?? 100;
    if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
    try {
      this.db = new Database(options.path, { timeout: 0 });
    } catch (error) {
      throw new RalphError(
        "store_unavailable",
        `Cannot open the task database at ${options.path}: ${(error as Error).message}. ` +
          "Set RALPH_DB (or --db) to a writable file path.",
        { cause: error },
      );
    }
    withBusyRetry(this.busyTimeoutMs, () => this.db.pragma("journal_mode = WAL"));
    this.db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
    this.db.pragma("cache_size = -8000");
    this.migrate();
    this.stmt = this.prepare();
    this.runs = new SqliteRunStore(
      this.db,
      (fn) => this.write(fn),
      (fn) => this.read(fn),
    );
    this.lastChangeSeq = (
      this.db.prepare("SELECT coalesce(max(seq), 0) AS s FROM changes").get() as { s: number }
    ).s;
  }

  // ---------------------------------------------------------------- schema

  private migrate(): void {
    const current = this.db.pragma("user_version", { simple: true }) as number;
    const latest = MIGRATIONS.at(-1)?.version ?? 0;
    if (current > latest) {
      throw new RalphError(
        "store_unavailable",
        `The task database ${this.location} has schema version ${current}, newer than this ralph-mcp knows (${latest}). Upgrade ralph-mcp.`,
      );
    }
    if (current === latest) return;
    acquireWriteLock(this.db, this.busyTimeoutMs);
    try {
      // Another process may have migrated while we waited for the lock.
      const now = this.db.pragma("user_version", { simple: true }) as number;
      for (const m of MIGRATIONS) {
        if (m.version <= now) continue;
        this.db.exec(m.sql);
        this.db.pragma(`user_version = ${m.version}`);
      }
      this.db.exec("COMMIT");
    } catch (error) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
  }

  /**
   * Hot statements, prepared once. The partial indexes are named with INDEXED BY: without
   * ANALYZE statistics SQLite prefers tasks_status and scans every pending row (measured: a claim
   * cost 170 ms with a million tasks), and INDEXED BY fails loudly if an index ever goes missing.
   */
  private prepare() {
    const db = this.db;
    return {
      getBySeq: db.prepare<[number], Row>("SELECT * FROM tasks WHERE seq = ?"),
      getByKey: db.prepare<[string], Row>("SELECT * FROM tasks WHERE idempotency_key = ?"),
      next: db.prepare<[], Row>(
        "SELECT * FROM tasks INDEXED BY tasks_ready WHERE status = 'pending' AND unmet_deps = 0 ORDER BY priority, seq LIMIT 1",
      ),
      expired: db.prepare<[string], Row>(
        // In-progress tasks are few (one per worker): scanning them beats keeping a lease index
        // up to date on every claim and completion.
        "SELECT * FROM tasks INDEXED BY tasks_status WHERE status = 'in_progress' AND lease_expires_at <= ? LIMIT 100",
      ),
      insert: db.prepare(
        `INSERT INTO tasks (description, criteria, priority, max_attempts, status, depends_on, tags,
           idempotency_key, unmet_deps, created_at, updated_at)
         VALUES (@description, @criteria, @priority, @max_attempts, 'pending', @depends_on, @tags,
           @idempotency_key, @unmet_deps, @now, @now)`,
      ),
      insertDep: db.prepare("INSERT OR IGNORE INTO task_deps (task_seq, dep_seq) VALUES (?, ?)"),
      depsOf: db.prepare<[number], { seq: number }>(
        "SELECT dep_seq AS seq FROM task_deps WHERE task_seq = ? ORDER BY dep_seq",
      ),
      setDeps: db.prepare(
        `UPDATE tasks SET depends_on = ?, unmet_deps = (SELECT count(*) FROM task_deps d JOIN tasks t ON t.seq = d.dep_seq
           WHERE d.task_seq = ? AND t.status != 'completed') WHERE seq = ?`,
      ),
      update: db.prepare(
        `UPDATE tasks SET status = @status, attempts = @attempts, result = @result,
           failure_reason = @failure_reason, feedback = @feedback, started_at = @started_at,
           completed_at = @completed_at, updated_at = @updated_at,
           lease_expires_at = @lease_expires_at, claimed_by = @claimed_by
         WHERE seq = @seq`,
      ),
      adjustDependents: db.prepare(
        "UPDATE tasks SET unmet_deps = unmet_deps + ? WHERE seq IN (SELECT task_seq FROM task_deps WHERE dep_seq = ?)",
      ),
      unmetDeps: db.prepare<[number], { seq: number }>(
        `SELECT t.seq FROM task_deps d JOIN tasks t ON t.seq = d.dep_seq
         WHERE d.task_seq = ? AND t.status != 'completed' ORDER BY t.seq`,
      ),
      listAll: db.prepare<[number, number], Row>("SELECT * FROM tasks WHERE seq > ? ORDER BY seq LIMIT ?"),
      listByStatus: db.prepare<[string, number, number], Row>(
        "SELECT * FROM tasks WHERE status = ? AND seq > ? ORDER BY seq LIMIT ?",
      ),
      counts: db.prepare<[], { status: TaskStatus; n: number; attempts: number }>(
        "SELECT status, n, attempts FROM task_counts",
      ),
      blocked: db.prepare<[], { n: number }>(
        "SELECT count(*) AS n FROM tasks INDEXED BY tasks_blocked WHERE status = 'pending' AND unmet_deps > 0",
      ),
      suggestPending: db.prepare<[], { seq: number }>(
        "SELECT seq FROM tasks INDEXED BY tasks_ready WHERE status = 'pending' AND unmet_deps = 0 ORDER BY priority, seq LIMIT 5",
      ),
      suggestRecent: db.prepare<[], { seq: number }>("SELECT seq FROM tasks ORDER BY seq DESC LIMIT 5"),
      recentSeqs: db.prepare<[number], { seq: number }>("SELECT seq FROM tasks ORDER BY seq DESC LIMIT ?"),
      insertChange: db.prepare("INSERT INTO changes (origin, kind, task_seqs) VALUES (?, ?, ?)"),
      pruneChanges: db.prepare("DELETE FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - ?"),
      changesAfter: db.prepare<
        [number],
        { seq: number; origin: string; kind: ChangeEvent["kind"]; task_seqs: string | null }
      >("SELECT seq, origin, kind, task_seqs FROM changes WHERE seq > ? ORDER BY seq LIMIT 1000"),
      minChange: db.prepare<[], { s: number | null }>("SELECT min(seq) AS s FROM changes"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
    };
  }

  // ---------------------------------------------------------------- write path

  /** Queue a write; it commits with the others queued in this event-loop turn. */
  private write<R>(run: (changes: ChangeRecord[]) => R): Promise<R> {
    if (this.closed) return Promise.reject(new RalphError("store_unavailable", "The task store is closed."));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const ops = this.queue.splice(0);
    if (ops.length === 0) return;
    try {
      acquireWriteLock(this.db, this.busyTimeoutMs);
    } catch (error) {
      for (const op of ops) op.reject(error);
      return;
    }
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    const allChanges: ChangeRecord[] = [];
    const isolated = ops.length > 1;
    for (const op of ops) {
      const changes: ChangeRecord[] = [];
      if (isolated) this.db.exec("SAVEPOINT op");
      try {
        const value = op.run(changes);
        for (const c of changes) {
          this.stmt.insertChange.run(this.origin, c.kind, c.seqs === null ? null : JSON.stringify(c.seqs));
        }
        if (isolated) this.db.exec("RELEASE op");
        outcomes.push({ ok: true, value });
        allChanges.push(...changes);
      } catch (error) {
        if (isolated) {
          this.db.exec("ROLLBACK TO op");
          this.db.exec("RELEASE op");
        }
        outcomes.push({ ok: false, error });
      }
    }
    try {
      if (!isolated && outcomes[0]?.ok === false) {
        this.db.exec("ROLLBACK");
      } else {
        if (++this.commitsSincePrune >= PRUNE_EVERY) {
          this.commitsSincePrune = 0;
          this.stmt.pruneChanges.run(CHANGES_KEPT);
        }
        this.stmt.commit.run();
      }
    } catch (error) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      for (const op of ops) op.reject(error);
      return;
    }
    ops.forEach((op, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) op.resolve(outcome.value);
      else op.reject(outcome?.error);
    });
    for (const change of allChanges) {
      this.emit({
        kind: change.kind,
        taskIds: change.seqs === null ? null : change.seqs.map(formatTaskId),
        remote: false,
      });
    }
  }

  /** Read the row for an id inside a write, or throw NotFoundError. */
  private mustGet(id: string): Row {
    const seq = tryParseTaskId(id);
    const row = seq === null ? undefined : this.stmt.getBySeq.get(seq);
    if (!row) throw this.notFound(id);
    return row;
  }

  private notFound(id: string): NotFoundError {
    const pending = this.stmt.suggestPending.all().map((r) => formatTaskId(r.seq));
    if (pending.length > 0) return taskNotFound(id, pending);
    return taskNotFound(
      id,
      [],
      this.stmt.suggestRecent.all().map((r) => formatTaskId(r.seq)),
    );
  }

  /** Write a transitioned task back, keeping dependents' unmet counts right. */
  private save(before: Row, after: Task, changes: ChangeRecord[]): Task {
    this.stmt.update.run({
      seq: before.seq,
      status: after.status,
      attempts: after.attempts,
      result: after.result,
      failure_reason: after.failure_reason,
      feedback: JSON.stringify(after.feedback),
      started_at: after.started_at,
      completed_at: after.completed_at,
      updated_at: after.updated_at,
      lease_expires_at: after.lease_expires_at,
      claimed_by: after.claimed_by,
    });
    const wasDone = before.status === "completed";
    const isDone = after.status === "completed";
    if (wasDone !== isDone) this.stmt.adjustDependents.run(isDone ? -1 : 1, before.seq);
    changes.push({ kind: "updated", seqs: [before.seq] });
    return after;
  }

  private transition(id: string, apply: (task: Task, row: Row) => Task): Promise<Task> {
    return this.write((changes) => {
      const row = this.mustGet(id);
      return this.save(row, apply(rowToTask(row), row), changes);
    });
  }

  /** Expire leases that ran out, inside the current write. */
  private expireDue(now: number, changes: ChangeRecord[]): Task[] {
    const due = this.stmt.expired.all(new Date(now).toISOString());
    return due.map((row) => this.save(row, T.expireLease(rowToTask(row), now), changes));
  }

  private insertTasks(inputs: NewTask[]): Promise<CreateResult[]> {
    // Validate before queueing: a bad batch never reaches the file.
    let batch: ReturnType<typeof validateBatch>;
    try {
      batch = validateBatch(inputs);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.write((changes) => {
      const now = Date.now();
      const nowIso = new Date(now).toISOString();
      const results: CreateResult[] = [];
      const seqs: number[] = [];
      const created: number[] = [];
      const seenKeys = new Map<string, number>();
      batch.tasks.forEach((task: ValidNewTask, i) => {
        const key = task.idempotency_key;
        const existing = key === null ? undefined : this.stmt.getByKey.get(key);
        if (existing) {
          results.push({ task: rowToTask(existing), created: false });
          seqs.push(existing.seq);
          return;
        }
        if (key !== null && seenKeys.has(key)) {
          const first = results[seenKeys.get(key) as number] as CreateResult;
          results.push({ task: first.task, created: false });
          seqs.push(seqs[seenKeys.get(key) as number] as number);
          return;
        }
        // Resolve dependencies: task ids must exist; #N items get their edges in the second pass.
        const depSeqs = new Set<number>();
        let unmet = 0;
        for (const dep of task.depends_on) {
          if (dep.startsWith("#")) continue;
          const depSeq = tryParseTaskId(dep);
          const depRow = depSeq === null ? undefined : this.stmt.getBySeq.get(depSeq);
          if (!depRow) {
            throw unknownDependency(dep, i, inputs.length > 1);
          }
          if (depSeqs.has(depRow.seq)) continue;
          depSeqs.add(depRow.seq);
          if (depRow.status !== "completed") unmet++;
        }
        const depIds = [...depSeqs].map(formatTaskId);
        const info = this.stmt.insert.run({
          description: task.description,
          criteria: task.criteria,
          priority: task.priority,
          max_attempts: task.max_attempts,
          depends_on: JSON.stringify(depIds),
          tags: JSON.stringify(task.tags),
          idempotency_key: key,
          unmet_deps: unmet,
          now: nowIso,
        });
        const seq = Number(info.lastInsertRowid);
        if (key !== null) seenKeys.set(key, i);
        seqs.push(seq);
        created.push(seq);
        for (const d of depSeqs) this.stmt.insertDep.run(seq, d);
        results.push({
          task: T.createTask(formatTaskId(seq), { ...task, depends_on: depIds }, now),
          created: true,
        });
      });
      // Second pass: batch-local (#N) dependencies, now that every item has its seq.
      batch.localDeps.forEach((locals, i) => {
        const result = results[i] as CreateResult;
        if (!result.created || locals.length === 0) return;
        const seq = seqs[i] as number;
        for (const j of locals) this.stmt.insertDep.run(seq, seqs[j] as number);
        const depIds = this.stmt.depsOf.all(seq).map((r) => formatTaskId(r.seq));
        this.stmt.setDeps.run(JSON.stringify(depIds), seq, seq);
        result.task = { ...result.task, depends_on: depIds };
      });
      if (created.length > 0) changes.push({ kind: "created", seqs: created });
      return results;
    });
  }

  // ---------------------------------------------------------------- TaskStore

  async create(input: NewTask): Promise<CreateResult> {
    const [result] = await this.insertTasks([input]);
    return result as CreateResult;
  }

  createBatch(inputs: NewTask[]): Promise<CreateResult[]> {
    return this.insertTasks(inputs);
  }

  async get(id: string): Promise<Task> {
    const seq = tryParseTaskId(id);
    const row = seq === null ? undefined : this.read(() => this.stmt.getBySeq.get(seq));
    if (!row) throw this.read(() => this.notFound(id));
    return rowToTask(row);
  }

  async list(query: ListQuery = {}): Promise<TaskPage> {
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
    return this.read(() => {
      const rows =
        status === undefined
          ? this.stmt.listAll.all(after, limit + 1)
          : this.stmt.listByStatus.all(status, after, limit + 1);
      const page = rows.slice(0, limit);
      const counts = this.counts();
      const total =
        status === undefined
          ? Object.values(counts.byStatus).reduce((a, b) => a + b, 0)
          : counts.byStatus[status];
      const last = page.at(-1);
      return {
        tasks: page.map(rowToTask),
        total,
        nextCursor: rows.length > limit && last ? encodeCursor(last.seq, status) : null,
      };
    });
  }

  async peekNext(): Promise<Task | null> {
    const row = this.read(() => this.stmt.next.get());
    return row ? rowToTask(row) : null;
  }

  claimNext(options: ClaimOptions): Promise<Task | null> {
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    return this.write((changes) => {
      const now = Date.now();
      // Leases are recovered with a second's precision: looking on every claim would cost a scan.
      if (now - this.lastExpiryCheck >= 1_000) {
        this.lastExpiryCheck = now;
        this.expireDue(now, changes);
      }
      const row = this.stmt.next.get();
      if (!row) return null;
      return this.save(
        row,
        T.startTask(rowToTask(row), { workerId: options.workerId, leaseMs, now }),
        changes,
      );
    });
  }

  start(id: string, options: ClaimOptions): Promise<Task> {
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    return this.transition(id, (task, row) =>
      T.startTask(task, {
        workerId: options.workerId,
        leaseMs,
        now: Date.now(),
        unmetDependencies:
          row.unmet_deps > 0 ? this.stmt.unmetDeps.all(row.seq).map((r) => formatTaskId(r.seq)) : [],
      }),
    );
  }

  renewLease(id: string, options: Required<ClaimOptions>): Promise<Task> {
    return this.transition(id, (task) =>
      T.renewLease(task, { now: Date.now(), workerId: options.workerId, leaseMs: options.leaseMs }),
    );
  }

  complete(id: string, result: string, options: WorkerOptions = {}): Promise<Task> {
    return this.transition(id, (task) => T.completeTask(task, result, { now: Date.now(), ...options }));
  }

  completeBatch(ids: string[], result: string): Promise<Task[]> {
    if (ids.length === 0) return Promise.reject(noIds());
    if (ids.length > LIMITS.batch) {
      return Promise.reject(
        new ValidationError(
          `A batch holds at most ${LIMITS.batch} tasks (got ${ids.length}); split it into several calls.`,
        ),
      );
    }
    const unique = [...new Set(ids)];
    if (unique.length !== ids.length) {
      return Promise.reject(repeatedIds());
    }
    return this.write((changes) => {
      const now = Date.now();
      return unique.map((id) => {
        const row = this.mustGet(id);
        return this.save(row, T.completeTask(rowToTask(row), result, { now }), changes);
      });
    });
  }

  fail(id: string, reason: string, options: WorkerOptions = {}): Promise<Task> {
    return this.transition(id, (task) => T.failTask(task, reason, { now: Date.now(), ...options }));
  }

  retry(
    id: string,
    feedback: string,
    options: WorkerOptions & { source?: FeedbackSource } = {},
  ): Promise<Task> {
    return this.transition(id, (task) => T.retryTask(task, feedback, { now: Date.now(), ...options }));
  }

  release(id: string, options: WorkerOptions & { note?: string } = {}): Promise<Task> {
    return this.transition(id, (task) => T.releaseTask(task, { now: Date.now(), ...options }));
  }

  resetAll(): Promise<number> {
    return this.write((changes) => {
      const now = new Date().toISOString();
      const info = this.db
        .prepare(
          `UPDATE tasks SET status = 'pending', attempts = 0, result = NULL, failure_reason = NULL,
             feedback = '[]', started_at = NULL, completed_at = NULL, updated_at = ?,
             lease_expires_at = NULL, claimed_by = NULL,
             unmet_deps = (SELECT count(*) FROM task_deps WHERE task_seq = tasks.seq)`,
        )
        .run(now);
      changes.push({ kind: "reset", seqs: null });
      return info.changes;
    });
  }

  clearCompleted(): Promise<number> {
    return this.write((changes) => {
      const seqs = this.db
        .prepare<[], { seq: number }>("SELECT seq FROM tasks WHERE status = 'completed'")
        .all()
        .map((r) => r.seq);
      if (seqs.length === 0) return 0;
      const list = JSON.stringify(seqs);
      // Completed dependencies were already satisfied: dropping their edges changes no count.
      this.db.prepare("DELETE FROM task_deps WHERE dep_seq IN (SELECT value FROM json_each(?))").run(list);
      this.db.prepare("DELETE FROM task_deps WHERE task_seq IN (SELECT value FROM json_each(?))").run(list);
      this.db.prepare("DELETE FROM tasks WHERE status = 'completed'").run();
      changes.push({ kind: "deleted", seqs: seqs.length <= 1000 ? seqs : null });
      return seqs.length;
    });
  }

  async stats(): Promise<TaskStats> {
    return this.read(() => {
      const { byStatus, attempts } = this.counts();
      return statsFromCounts(byStatus, attempts, this.stmt.blocked.get()?.n ?? 0);
    });
  }

  expireLeases(): Promise<Task[]> {
    return this.write((changes) => this.expireDue(Date.now(), changes));
  }

  async completeIds(prefix: string, limit = 20): Promise<string[]> {
    const rows = this.read(() => this.stmt.recentSeqs.all(5_000));
    const out: string[] = [];
    for (const { seq } of rows) {
      const id = formatTaskId(seq);
      if (id.startsWith(prefix)) out.push(id);
      if (out.length >= limit) break;
    }
    return out;
  }

  // ---------------------------------------------------------------- change feed

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    if (!this.pollTimer && !this.closed) {
      this.lastDataVersion = this.db.pragma("data_version", { simple: true }) as number;
      this.pollTimer = setInterval(() => this.pollRemoteChanges(), this.changePollMs);
      this.pollTimer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.pollTimer) {
        clearInterval(this.pollTimer);
        this.pollTimer = null;
      }
    };
  }

  private emit(event: ChangeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; the store and other listeners go on.
      }
    }
  }

  /** Another connection committed when data_version moves; read the change rows it wrote. */
  private pollRemoteChanges(): void {
    if (this.closed) return;
    let version: number;
    try {
      version = this.db.pragma("data_version", { simple: true }) as number;
    } catch {
      return;
    }
    if (version === this.lastDataVersion) return;
    try {
      const oldest = this.stmt.minChange.get()?.s ?? null;
      if (oldest !== null && oldest > this.lastChangeSeq + 1 && this.lastChangeSeq > 0) {
        this.emit({ kind: "reset", taskIds: null, remote: true }); // we fell behind the pruning
      }
      for (;;) {
        const rows = this.stmt.changesAfter.all(this.lastChangeSeq);
        for (const row of rows) {
          this.lastChangeSeq = row.seq;
          if (row.origin === this.origin) continue;
          const seqs: number[] | null = row.task_seqs === null ? null : JSON.parse(row.task_seqs);
          this.emit({ kind: row.kind, taskIds: seqs === null ? null : seqs.map(formatTaskId), remote: true });
        }
        if (rows.length < 1000) break;
      }
      this.lastDataVersion = version; // only now: after a failed read the next tick tries again
    } catch {
      // Busy or closing: the next tick tries again from the same place.
    }
  }

  // ---------------------------------------------------------------- misc

  private counts(): { byStatus: Record<TaskStatus, number>; attempts: number } {
    const byStatus = emptyCounts();
    let attempts = 0;
    for (const row of this.stmt.counts.all()) {
      byStatus[row.status] = row.n;
      attempts += row.attempts;
    }
    return { byStatus, attempts };
  }

  private read<R>(fn: () => R): R {
    if (this.closed) throw new RalphError("store_unavailable", "The task store is closed.");
    return withBusyRetry(this.busyTimeoutMs, fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.queue.length > 0) this.flush();
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    this.listeners.clear();
    this.db.close();
  }
}
