/**
 * Editing the SQLite store's tasks by hand: update a pending task, delete one, reset one, and
 * import exported tasks. Each is one queued write; the rules are the domain's (transitions.ts,
 * import.ts), checked inside the write so a concurrent change cannot slip between check and write.
 */
import { dependencyCycle, unknownDependency } from "../../domain/errors.js";
import { formatTaskId, tryParseTaskId } from "../../domain/ids.js";
import { type ImportResult, type ImportRow, isStoredAlready } from "../../domain/import.js";
import type { Task } from "../../domain/task.js";
import * as T from "../../domain/transitions.js";
import { type TaskPatch, validateTaskPatch } from "../../domain/validate.js";
import type { SqliteContext } from "./context.js";
import { mustGet } from "./read.js";
import { rowToTask } from "./rows.js";
import { transition } from "./transition.js";

export function update(ctx: SqliteContext, id: string, input: TaskPatch): Promise<Task> {
  let patch: TaskPatch;
  try {
    patch = validateTaskPatch(input);
  } catch (error) {
    return Promise.reject(error);
  }
  const { stmt } = ctx;
  return ctx.write((changes) => {
    const row = mustGet(ctx, id);
    const after = T.updateTask(rowToTask(row), patch, Date.now());
    stmt.updateFields.run({
      seq: row.seq,
      description: after.description,
      criteria: after.criteria,
      priority: after.priority,
      max_attempts: after.max_attempts,
      tags: JSON.stringify(after.tags),
      updated_at: after.updated_at,
    });
    if (patch.depends_on !== undefined) {
      const seqs: number[] = [];
      for (const dep of patch.depends_on) {
        const seq = tryParseTaskId(dep);
        if (seq === null || !stmt.getBySeq.get(seq)) throw unknownDependency(dep, null, false);
        seqs.push(seq);
      }
      if (seqs.length > 0 && stmt.reaches.get(JSON.stringify(seqs), row.seq)) {
        throw dependencyCycle(after.id);
      }
      stmt.deleteEdgesOf.run(row.seq);
      for (const seq of seqs) stmt.insertDep.run(row.seq, seq);
      stmt.setDeps.run(JSON.stringify(seqs.map(formatTaskId)), row.seq, row.seq);
    }
    changes.push({ kind: "updated", seqs: [row.seq] });
    return rowToTask(stmt.getBySeq.get(row.seq) as NonNullable<ReturnType<typeof stmt.getBySeq.get>>);
  });
}

export function remove(ctx: SqliteContext, id: string, force: boolean): Promise<Task> {
  const { stmt } = ctx;
  return ctx.write((changes) => {
    const row = mustGet(ctx, id);
    const task = rowToTask(row);
    T.assertDeletable(task, force);
    // A dependent no longer waits for a task that is gone.
    if (row.status !== "completed") stmt.adjustDependents.run(-1, row.seq);
    stmt.deleteEdgesToOne.run(row.seq);
    stmt.deleteEdgesOf.run(row.seq);
    stmt.deleteOne.run(row.seq);
    changes.push({ kind: "deleted", seqs: [row.seq] });
    return task;
  });
}

export function reset(ctx: SqliteContext, id: string): Promise<Task> {
  return transition(ctx, id, (task) => T.resetTask(task, Date.now()));
}

export function importTasks(ctx: SqliteContext, rows: ImportRow[]): Promise<ImportResult> {
  const { stmt } = ctx;
  return ctx.write((changes) => {
    const nowIso = new Date().toISOString();
    const ids: Record<string, string> = {};
    const existing: ImportResult["existing"] = [];
    const seqOf = new Map<string, number>(); // file id → seq in this store
    const keys = new Map<string, number>();
    const fresh: Array<{ i: number; row: ImportRow }> = [];
    rows.forEach((row, i) => {
      const key = row.task.idempotency_key;
      const stored = key === null ? undefined : stmt.getByKey.get(key);
      const earlier = key === null ? undefined : keys.get(key);
      const byId = row.fileId === null ? null : tryParseTaskId(row.fileId);
      const sameId = byId === null ? undefined : stmt.getBySeq.get(byId);
      const same = stored?.seq ?? earlier ?? (isStoredAlready(row, sameId) ? sameId?.seq : undefined);
      if (same !== undefined) {
        existing.push({ row: i + 1, id: formatTaskId(same) });
        if (row.fileId) seqOf.set(row.fileId, same);
        return;
      }
      fresh.push({ i, row });
    });
    // Rows keep their ids when the store has none by them; the others draw new ids after those.
    const wanted = (row: ImportRow) => (row.fileId === null ? null : tryParseTaskId(row.fileId));
    const keep = fresh.filter(({ row }) => {
      const seq = wanted(row);
      return seq !== null && !stmt.getBySeq.get(seq);
    });
    const kept = new Set(keep.map(({ i }) => i));
    const insert = (row: ImportRow, seq: number | null): number => {
      const info = stmt.importInsert.run({
        seq,
        description: row.task.description,
        criteria: row.task.criteria,
        priority: row.task.priority,
        max_attempts: row.task.max_attempts,
        attempts: row.attempts,
        status: row.status,
        result: row.result,
        failure_reason: row.failure_reason,
        feedback: JSON.stringify(row.feedback),
        tags: JSON.stringify(row.task.tags),
        idempotency_key: row.task.idempotency_key,
        created_at: row.created_at ?? nowIso,
        started_at: row.started_at,
        completed_at: row.completed_at,
        updated_at: row.updated_at ?? nowIso,
      });
      const added = Number(info.lastInsertRowid);
      if (row.task.idempotency_key !== null) keys.set(row.task.idempotency_key, added);
      if (row.fileId) seqOf.set(row.fileId, added);
      return added;
    };
    const added = new Map<number, number>(); // row index → seq
    for (const { i, row } of keep) added.set(i, insert(row, wanted(row)));
    for (const { i, row } of fresh) if (!kept.has(i)) added.set(i, insert(row, null));
    // Dependencies: rows of the file by their ids there, else tasks already stored.
    for (const { i, row } of fresh) {
      const seq = added.get(i) as number;
      const deps: number[] = [];
      for (const dep of row.task.depends_on) {
        const target = seqOf.get(dep) ?? tryParseTaskId(dep);
        const stored = target === null || target === undefined ? undefined : stmt.getBySeq.get(target);
        if (!stored || (added.has(i) && target === seq)) throw unknownDependency(dep, i, true);
        deps.push(stored.seq);
      }
      for (const d of deps) stmt.insertDep.run(seq, d);
      stmt.setDeps.run(JSON.stringify([...new Set(deps)].map(formatTaskId)), seq, seq);
    }
    for (const [fileId, seq] of seqOf) ids[fileId] = formatTaskId(seq);
    const created = fresh.map(({ i }) => rowToTask(stmt.getBySeq.get(added.get(i) as number) as never));
    if (created.length > 0) changes.push({ kind: "created", seqs: [...added.values()] });
    return { created, existing, ids };
  });
}
