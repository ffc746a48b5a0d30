/**
 * The hot path of the PostgreSQL store: claimNext and a plain complete, each a single statement
 * (sql/claim.ts, sql/complete.ts; one round trip, no BEGIN/COMMIT). Calls made at the same time in
 * this process share one statement and one commit (batch.ts). A completion the single statement
 * cannot make (the task has dependents, or it is not completable) takes the locking path
 * (locking.ts), which says why or also updates the dependents.
 */
import { LEASE_RECOVERY_MS } from "../../domain/claim.js";
import { tryParseTaskId } from "../../domain/ids.js";
import type { Task } from "../../domain/task.js";
import * as T from "../../domain/transitions.js";
import { type ClaimOptions, DEFAULT_LEASE_MS, type WorkerOptions } from "../types.js";
import { Batcher } from "./batch.js";
import type { PgContext } from "./context.js";
import { expireLeases, transition } from "./locking.js";
import { type Row, rowToTask } from "./rows.js";

/** One plain completion, as it goes into a batch (batch.ts). */
interface CompleteRequest {
  seq: number;
  result: string;
  workerId: string | null;
  requireHeld: boolean;
}

export class HotPath {
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

  constructor(private readonly ctx: PgContext) {}

  async claimNext(options: ClaimOptions): Promise<Task | null> {
    this.ctx.assertOpen();
    this.hotCalls++;
    try {
      return await this.claimNextTask(options);
    } finally {
      this.hotCalls--;
    }
  }

  private async claimNextTask(options: ClaimOptions): Promise<Task | null> {
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    // Stalled claims go back in line as the domain says (src/domain/claim.ts): now and then before
    // claiming, and whenever nothing is eligible.
    const due = Date.now() >= this.nextExpiryCheck;
    if (due) {
      this.nextExpiryCheck = Date.now() + LEASE_RECOVERY_MS;
      await expireLeases(this.ctx);
    }
    const task = await this.claimOne(options.workerId, leaseMs);
    if (task || due) return task;
    const requeued = (await expireLeases(this.ctx)).some((t) => t.status === "pending");
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
      const [row] = await this.ctx.db.query<Row>(this.ctx.sql.claim, [request.workerId, request.leaseMs]);
      rows = [row ?? null];
    } else {
      const claimed = await this.ctx.db.query<Row & { ord: number }>(this.ctx.sql.claimMany, [
        requests.map((r) => r.workerId),
        requests.map((r) => r.leaseMs),
        requests.length,
      ]);
      const byOrd = new Map(claimed.map((row) => [row.ord, row]));
      rows = requests.map((_, i) => byOrd.get(i + 1) ?? null);
    }
    const seqs = rows.filter((r): r is Row => r !== null).map((r) => Number(r.seq));
    if (seqs.length > 0) this.ctx.feed.publish([{ kind: "updated", seqs }]);
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
      const [row] = await this.ctx.db.query<Row>(this.ctx.sql.complete, [
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
      const completed = await this.ctx.db.query<Row>(this.ctx.sql.completeMany, [
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
    if (seqs.length > 0) this.ctx.feed.publish([{ kind: "updated", seqs }]);
    return rows;
  }

  async complete(id: string, result: string, options: WorkerOptions = {}): Promise<Task> {
    this.ctx.assertOpen();
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
    return transition(this.ctx, id, (task, now) => T.completeTask(task, result, { now, ...options }));
  }
}

export function claimNext(ctx: PgContext, options: ClaimOptions): Promise<Task | null> {
  return ctx.hot.claimNext(options);
}

export function complete(ctx: PgContext, id: string, result: string, options: WorkerOptions): Promise<Task> {
  return ctx.hot.complete(id, result, options);
}
