/**
 * Orchestrator runs in PostgreSQL (the `runs` table of migration 2), next to the tasks they work
 * on, so any server can show a run and ask it to stop. Heartbeats (`updated_at`) are taken on the
 * database clock, so a run on one machine is judged stale by another with the same clock.
 */
import { type NotFoundError, runNotFound } from "../../domain/errors.js";
import {
  abandonRun,
  checkOutput,
  type ExecutionOutput,
  emptyRunStats,
  formatRunId,
  type NewExecutionOutput,
  type NewRun,
  type Run,
  type RunCurrent,
  type RunStats,
  type RunUpdate,
  runListLimit,
  tryParseRunId,
  updateRun,
} from "../../domain/run.js";
import { type RunColumns, toRun } from "../rows.js";
import type { RunStore } from "../types.js";
import type { Database, Queryable } from "./db.js";
import type { Statements } from "./sql/index.js";
import { NOW_MS } from "./sql/time.js";

/** A row of the runs table as `pg` returns it (bigint as string, timestamptz as ISO string, jsonb parsed). */
interface RunRow extends RunColumns {
  seq: string;
  settings: Record<string, unknown>;
  stats: RunStats;
  current: RunCurrent | null;
  cancel_requested: boolean;
}

function rowToRun(row: RunRow): Run {
  return toRun(row, {
    id: formatRunId(Number(row.seq)),
    settings: row.settings,
    stats: row.stats,
    current: row.current,
    cancel_requested: row.cancel_requested,
  });
}

export class PostgresRunStore implements RunStore {
  constructor(
    private readonly db: Database,
    private readonly sql: Statements,
    private readonly assertOpen: () => void,
  ) {}

  private async notFound(id: string, q: Queryable | null = null): Promise<NotFoundError> {
    const rows = q
      ? await q.query<RunRow>(this.sql.listRuns, [5])
      : await this.db.query<RunRow>(this.sql.listRuns, [5], { readOnly: true });
    const recent = rows.map((r) => formatRunId(Number(r.seq)));
    return runNotFound(id, recent);
  }

  private async save(tx: Queryable, seq: number | string, run: Run): Promise<Run> {
    const [saved] = await tx.query<RunRow>(this.sql.saveRun, [
      seq,
      run.status,
      run.stop_code,
      run.stop_reason,
      JSON.stringify(run.stats),
      run.current === null ? null : JSON.stringify(run.current),
      run.finished_at,
    ]);
    return rowToRun(saved as RunRow);
  }

  async create(input: NewRun): Promise<Run> {
    this.assertOpen();
    // The worker id carries the run id, so the id is drawn first (a failed insert leaves a gap).
    const [drawn] = await this.db.query<{ seq: string }>(this.sql.drawRunSeq);
    const seq = Number(drawn?.seq);
    const [row] = await this.db.query<RunRow>(this.sql.insertRun, [
      seq,
      input.max_tasks,
      `${formatRunId(seq)}@${input.owner}`,
      JSON.stringify(input.settings),
      JSON.stringify(emptyRunStats()),
    ]);
    return rowToRun(row as RunRow);
  }

  async get(id: string): Promise<Run> {
    this.assertOpen();
    const seq = tryParseRunId(id);
    const [row] = seq === null ? [] : await this.db.query<RunRow>(this.sql.getRun, [seq], { readOnly: true });
    if (!row) throw await this.notFound(id);
    return rowToRun(row);
  }

  async list(options: { limit?: number | undefined } = {}): Promise<Run[]> {
    this.assertOpen();
    const limit = runListLimit(options.limit);
    return (await this.db.query<RunRow>(this.sql.listRuns, [limit], { readOnly: true })).map(rowToRun);
  }

  async update(id: string, patch: RunUpdate): Promise<Run> {
    this.assertOpen();
    const seq = tryParseRunId(id);
    if (seq === null) throw await this.notFound(id);
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<RunRow & { now_ms: number }>(this.sql.lockRun, [seq]);
      if (!row) throw await this.notFound(id, tx);
      // The heartbeat is taken on the database clock when the row is written (saveRun).
      return this.save(tx, seq, updateRun(rowToRun(row), patch, row.now_ms));
    });
  }

  async requestCancel(id: string): Promise<Run> {
    this.assertOpen();
    const seq = tryParseRunId(id);
    const [row] = seq === null ? [] : await this.db.query<RunRow>(this.sql.requestCancel, [seq]);
    // No row: the run has ended (a cancel changes nothing then) or does not exist (get says which).
    return row ? rowToRun(row) : this.get(id);
  }

  async now(): Promise<number> {
    this.assertOpen();
    const [row] = await this.db.query<{ now_ms: number }>({ text: `SELECT ${NOW_MS} AS now_ms` }, [], {
      readOnly: true,
    });
    return Number(row?.now_ms);
  }

  async abandonStale(staleMs: number): Promise<Run[]> {
    this.assertOpen();
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<RunRow & { now_ms: number }>(this.sql.lockStaleRuns, [staleMs]);
      const runs: Run[] = [];
      for (const row of rows) runs.push(await this.save(tx, row.seq, abandonRun(rowToRun(row), row.now_ms)));
      return runs;
    });
  }

  async saveOutput(runId: string, output: NewExecutionOutput): Promise<void> {
    this.assertOpen();
    checkOutput(output);
    const seq = tryParseRunId(runId);
    if (seq === null) throw await this.notFound(runId);
    const args = [seq, output.task_id, output.attempt, output.worker, output.text, output.dropped_bytes];
    try {
      await this.db.query(this.sql.saveOutput, args);
    } catch (error) {
      // The foreign key: no such run.
      const cause = (error as { cause?: { code?: string } }).cause ?? (error as { code?: string });
      if (cause?.code === "23503") throw await this.notFound(runId);
      throw error;
    }
  }

  async outputs(runId: string): Promise<ExecutionOutput[]> {
    const run = await this.get(runId);
    const rows = await this.db.query<OutputRow>(this.sql.listOutputs, [tryParseRunId(run.id)], {
      readOnly: true,
    });
    return rows.map((r) => ({
      run_id: run.id,
      task_id: r.task_id,
      attempt: r.attempt,
      worker: r.worker,
      text: r.text,
      dropped_bytes: r.dropped_bytes,
      updated_at: r.updated_at,
    }));
  }
}

/** An ExecutionOutput as stored (read per run, so without its run id). */
type OutputRow = Omit<ExecutionOutput, "run_id">;
