/**
 * Adding tasks to the SQLite store: one write (one savepoint) for the whole batch. Items that
 * depend on each other with `#N` get their edges in a second pass, once every item has its seq.
 */
import { unknownDependency } from "../../domain/errors.js";
import { formatTaskId, tryParseTaskId } from "../../domain/ids.js";
import type { NewTask } from "../../domain/task.js";
import * as T from "../../domain/transitions.js";
import { type ValidNewTask, validateBatch } from "../../domain/validate.js";
import type { CreateResult } from "../types.js";
import type { SqliteContext } from "./context.js";
import { rowToTask } from "./rows.js";

export function createBatch(ctx: SqliteContext, inputs: NewTask[]): Promise<CreateResult[]> {
  const { stmt } = ctx;
  // Validate before queueing: a bad batch never reaches the file.
  let batch: ReturnType<typeof validateBatch>;
  try {
    batch = validateBatch(inputs);
  } catch (error) {
    return Promise.reject(error);
  }
  return ctx.write((changes) => {
    const now = ctx.clock.now();
    const nowIso = new Date(now).toISOString();
    const results: CreateResult[] = [];
    const seqs: number[] = [];
    const created: number[] = [];
    const { firstWithKey } = batch;
    batch.tasks.forEach((task: ValidNewTask, i) => {
      const first = firstWithKey[i] as number;
      if (first !== i) {
        // A repeat inside the batch gets the first one's task (set again after the second pass).
        results.push({ task: (results[first] as CreateResult).task, created: false });
        seqs.push(seqs[first] as number);
        return;
      }
      const key = task.idempotency_key;
      const existing = key === null ? undefined : stmt.getByKey.get(key);
      if (existing) {
        results.push({ task: rowToTask(existing), created: false });
        seqs.push(existing.seq);
        return;
      }
      // Resolve dependencies: task ids must exist; #N items get their edges in the second pass.
      const depSeqs = new Set<number>();
      let unmet = 0;
      for (const dep of task.depends_on) {
        if (dep.startsWith("#")) continue;
        const depSeq = tryParseTaskId(dep);
        const depRow = depSeq === null ? undefined : stmt.getBySeq.get(depSeq);
        if (!depRow) {
          throw unknownDependency(dep, i, inputs.length > 1);
        }
        if (depSeqs.has(depRow.seq)) continue;
        depSeqs.add(depRow.seq);
        if (depRow.status !== "completed") unmet++;
      }
      const depIds = [...depSeqs].map(formatTaskId);
      const info = stmt.insert.run({
        description: task.description,
        criteria: task.criteria,
        priority: task.priority,
        max_attempts: task.max_attempts,
        depends_on: JSON.stringify(depIds),
        tags: JSON.stringify(task.tags),
        idempotency_key: key,
        unmet_deps: unmet,
        now: nowIso,
        not_before: task.run_at,
      });
      const seq = Number(info.lastInsertRowid);
      seqs.push(seq);
      created.push(seq);
      for (const d of depSeqs) stmt.insertDep.run(seq, d);
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
      for (const j of locals) stmt.insertDep.run(seq, seqs[j] as number);
      const depIds = stmt.depsOf.all(seq).map((r) => formatTaskId(r.seq));
      stmt.setDeps.run(JSON.stringify(depIds), seq, seq);
      result.task = { ...result.task, depends_on: depIds };
    });
    results.forEach((result, i) => {
      const first = firstWithKey[i] as number;
      if (first !== i) result.task = (results[first] as CreateResult).task;
    });
    if (created.length > 0) changes.push({ kind: "created", seqs: created });
    return results;
  });
}
