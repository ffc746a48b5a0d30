/**
 * Adding tasks to the PostgreSQL store (the statements are in sql/create.ts): an add without
 * dependencies is one statement; with dependencies, one transaction.
 */
import { StoreUnavailableError, unknownDependency } from "../../domain/errors.js";
import { formatTaskId, tryParseTaskId } from "../../domain/ids.js";
import type { NewTask, TaskStatus } from "../../domain/task.js";
import * as T from "../../domain/transitions.js";
import { type ValidBatch, type ValidNewTask, validateBatch } from "../../domain/validate.js";
import type { CreateResult } from "../types.js";
import type { PgContext } from "./context.js";
import { RetryTransaction } from "./db.js";
import { jsonArray, type Row, rowToTask } from "./rows.js";

export async function createBatch(ctx: PgContext, inputs: NewTask[]): Promise<CreateResult[]> {
  ctx.assertOpen();
  const batch = validateBatch(inputs);
  const withDependencies = batch.tasks.some((t) => t.depends_on.length > 0);
  const { results, created } = withDependencies
    ? await insertWithDependencies(ctx, inputs.length, batch)
    : await insertPlain(ctx, batch);
  if (created.length > 0) ctx.feed.publish([{ kind: "created", seqs: created }]);
  return results;
}

/** Tasks without dependencies: one statement (sql/create.ts insertPlain). */
async function insertPlain(
  ctx: PgContext,
  { tasks, firstWithKey }: ValidBatch,
): Promise<{ results: CreateResult[]; created: number[] }> {
  const results: Array<CreateResult | undefined> = new Array(tasks.length);
  const created: number[] = [];
  // A repeat inside the batch gets the first one's task.
  let pending = tasks.map((_, i) => i).filter((i) => firstWithKey[i] === i);
  // One pass nearly always; another only when a key's task was deleted between our insert
  // finding it and our reading it.
  for (let round = 0; pending.length > 0; round++) {
    if (round === 3) {
      throw new StoreUnavailableError(
        "Tasks with these idempotency keys kept changing concurrently; try again.",
      );
    }
    const items = pending.map((i) => tasks[i] as ValidNewTask);
    const rows = await ctx.db.query<{ ord: number; seq: string; created_at: string }>(ctx.sql.insertPlain, [
      items.map((t) => t.description),
      items.map((t) => t.criteria),
      items.map((t) => t.priority),
      items.map((t) => t.max_attempts),
      items.map((t) => jsonArray(t.tags)),
      items.map((t) => t.idempotency_key),
      items.map((t) => t.run_at),
    ]);
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
    const existing = await ctx.db.query<Row>(ctx.sql.byKeys, [keys], { readOnly: true });
    const byKey = new Map(existing.map((row) => [row.idempotency_key, row]));
    for (const i of missing) {
      const row = byKey.get(tasks[i]?.idempotency_key ?? null);
      if (row) results[i] = { task: rowToTask(row), created: false };
      else pending.push(i);
    }
  }
  tasks.forEach((_, i) => {
    const first = firstWithKey[i] as number;
    if (first !== i) results[i] = { task: (results[first] as CreateResult).task, created: false };
  });
  return { results: results as CreateResult[], created };
}

/**
 * Tasks with dependencies, in one transaction: find repeated keys, lock the dependencies (see
 * sql/create.ts for why that keeps `unmet_deps` exact), draw ids, insert tasks and edges.
 */
function insertWithDependencies(
  ctx: PgContext,
  batchSize: number,
  { tasks, localDeps, firstWithKey }: ValidBatch,
): Promise<{ results: CreateResult[]; created: number[] }> {
  const keys = [...new Set(tasks.map((t) => t.idempotency_key).filter((k): k is string => k !== null))];
  return ctx.db.transaction(async (tx) => {
    const stored = new Map<string, Row>();
    if (keys.length > 0) {
      for (const row of await tx.query<Row>(ctx.sql.byKeys, [keys])) {
        stored.set(row.idempotency_key as string, row);
      }
    }
    // Each item is new, or returns a stored task (its key is taken), or repeats an earlier item's key.
    const storedRow = (i: number): Row | undefined => stored.get(tasks[i]?.idempotency_key ?? "");
    const firstOf = (i: number): number => firstWithKey[i] as number;
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
      await tx.query(ctx.sql.flagDependencies, [seqs]);
      const locked = await tx.query<{ seq: string; status: TaskStatus }>(ctx.sql.lockDependencies, [seqs]);
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

    const drawn = await tx.query<{ seq: string; now_ms: number }>(ctx.sql.allocateSeqs, [newIndexes.length]);
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

    const inserted = await tx.query(ctx.sql.insertTasks, [
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
      rows.map((r) => r.task.run_at),
    ]);
    // A concurrent add committed one of our keys after we looked: start over, it is found then.
    if (inserted.length !== rows.length) throw new RetryTransaction();
    const edges = rows.flatMap((r) => r.deps.map((d) => [r.seq, d] as const));
    if (edges.length > 0) {
      await tx.query(ctx.sql.insertEdges, [edges.map((e) => e[0]), edges.map((e) => e[1])]);
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
