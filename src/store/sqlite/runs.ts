/**
 * Orchestrator runs in the SQLite file (the `runs` table of migration 2). Writes go through the
 * task store's queue, so they share its group commit and its fair write lock with other processes.
 */
import type { StoreClock } from "../../domain/clock.js";
import { runNotFound } from "../../domain/errors.js";
import {
  abandonRun,
  checkOutput,
  type ExecutionOutput,
  emptyRunStats,
  formatRunId,
  isFinalRunStatus,
  type NewExecutionOutput,
  type NewRun,
  type Run,
  type RunUpdate,
  runListLimit,
  tryParseRunId,
  updateRun,
} from "../../domain/run.js";
import { type RunColumns, toRun } from "../rows.js";
import type { RunStore } from "../types.js";
import type { SqliteDatabase } from "./driver.js";

interface RunRow extends RunColumns {
  seq: number;
  settings: string;
  stats: string;
  current: string | null;
  cancel_requested: number;
}

function rowToRun(row: RunRow): Run {
  return toRun(row, {
    id: formatRunId(row.seq),
    settings: JSON.parse(row.settings),
    stats: JSON.parse(row.stats),
    current: row.current === null ? null : JSON.parse(row.current),
    cancel_requested: row.cancel_requested !== 0,
  });
}

/** An ExecutionOutput as stored: the run by its number. */
interface OutputRow extends Omit<ExecutionOutput, "run_id"> {
  run_seq: number;
}

type Write = <R>(fn: () => R) => Promise<R>;
type Read = <R>(fn: () => R) => R;

export class SqliteRunStore implements RunStore {
  private readonly stmt;

  constructor(
    db: SqliteDatabase,
    private readonly write: Write,
    private readonly read: Read,
    private readonly clock: StoreClock,
  ) {
    this.stmt = {
      get: db.prepare<[number], RunRow>("SELECT * FROM runs WHERE seq = ?"),
      list: db.prepare<[number], RunRow>("SELECT * FROM runs ORDER BY seq DESC LIMIT ?"),
      insert: db.prepare(
        `INSERT INTO runs (status, max_tasks, settings, worker_id, stats, started_at, updated_at)
         VALUES ('running', @max_tasks, @settings, '', @stats, @now, @now)`,
      ),
      setWorker: db.prepare("UPDATE runs SET worker_id = ? WHERE seq = ?"),
      update: db.prepare(
        `UPDATE runs SET status = @status, stop_code = @stop_code, stop_reason = @stop_reason,
           stats = @stats, current = @current, finished_at = @finished_at, updated_at = @updated_at
         WHERE seq = @seq`,
      ),
      requestCancel: db.prepare("UPDATE runs SET cancel_requested = 1, updated_at = ? WHERE seq = ?"),
      saveOutput: db.prepare(
        `INSERT INTO run_output (run_seq, task_id, attempt, worker, text, dropped_bytes, updated_at)
         VALUES (@run_seq, @task_id, @attempt, @worker, @text, @dropped_bytes, @now)
         ON CONFLICT (run_seq, task_id, attempt) DO UPDATE SET worker = excluded.worker,
           text = excluded.text, dropped_bytes = excluded.dropped_bytes, updated_at = excluded.updated_at`,
      ),
      outputs: db.prepare<[number], OutputRow>("SELECT * FROM run_output WHERE run_seq = ? ORDER BY id"),
      stale: db.prepare<[string], RunRow>(
        "SELECT * FROM runs WHERE status = 'running' AND updated_at < ? ORDER BY seq LIMIT 100",
      ),
    };
  }

  private mustGet(id: string): RunRow {
    const seq = tryParseRunId(id);
    const row = seq === null ? undefined : this.stmt.get.get(seq);
    if (row) return row;
    const recent = this.stmt.list.all(5).map((r) => formatRunId(r.seq));
    throw runNotFound(id, recent);
  }

  private save(seq: number, run: Run): void {
    this.stmt.update.run({
      seq,
      status: run.status,
      stop_code: run.stop_code,
      stop_reason: run.stop_reason,
      stats: JSON.stringify(run.stats),
      current: run.current === null ? null : JSON.stringify(run.current),
      finished_at: run.finished_at,
      updated_at: run.updated_at,
    });
  }

  create(input: NewRun): Promise<Run> {
    return this.write(() => {
      const now = new Date(this.clock.now()).toISOString();
      const stats = emptyRunStats();
      const info = this.stmt.insert.run({
        max_tasks: input.max_tasks,
        settings: JSON.stringify(input.settings),
        stats: JSON.stringify(stats),
        now,
      });
      const seq = Number(info.lastInsertRowid);
      this.stmt.setWorker.run(`${formatRunId(seq)}@${input.owner}`, seq);
      return rowToRun(this.stmt.get.get(seq) as RunRow);
    });
  }

  async get(id: string): Promise<Run> {
    return this.read(() => rowToRun(this.mustGet(id)));
  }

  async list(options: { limit?: number | undefined } = {}): Promise<Run[]> {
    const limit = runListLimit(options.limit);
    return this.read(() => this.stmt.list.all(limit).map(rowToRun));
  }

  update(id: string, patch: RunUpdate): Promise<Run> {
    return this.write(() => {
      const row = this.mustGet(id);
      const next = updateRun(rowToRun(row), patch, this.clock.now());
      this.save(row.seq, next);
      return next;
    });
  }

  requestCancel(id: string): Promise<Run> {
    return this.write(() => {
      const row = this.mustGet(id);
      if (isFinalRunStatus(row.status)) return rowToRun(row);
      this.stmt.requestCancel.run(new Date(this.clock.now()).toISOString(), row.seq);
      return rowToRun(this.stmt.get.get(row.seq) as RunRow);
    });
  }

  async now(): Promise<number> {
    return this.clock.now();
  }

  abandonStale(staleMs: number): Promise<Run[]> {
    return this.write(() => {
      const now = this.clock.now();
      const cutoff = new Date(now - staleMs).toISOString();
      return this.stmt.stale.all(cutoff).map((row) => {
        this.save(row.seq, abandonRun(rowToRun(row), now));
        return rowToRun(this.stmt.get.get(row.seq) as RunRow);
      });
    });
  }

  async saveOutput(runId: string, output: NewExecutionOutput): Promise<void> {
    checkOutput(output);
    await this.write(() => {
      const row = this.mustGet(runId);
      this.stmt.saveOutput.run({
        run_seq: row.seq,
        task_id: output.task_id,
        attempt: output.attempt,
        worker: output.worker,
        text: output.text,
        dropped_bytes: output.dropped_bytes,
        now: new Date(this.clock.now()).toISOString(),
      });
    });
  }

  async outputs(runId: string): Promise<ExecutionOutput[]> {
    return this.read(() => {
      const run = this.mustGet(runId);
      return this.stmt.outputs
        .all(run.seq)
        .map(({ run_seq, ...o }) => ({ run_id: formatRunId(run_seq), ...o }));
    });
  }
}
