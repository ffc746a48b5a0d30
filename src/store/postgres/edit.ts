/**
 * Editing the PostgreSQL store's tasks by hand (statements in sql/edit.ts): update a pending task,
 * delete one, reset one, import exported tasks. Each is one transaction that locks what it changes;
 * the rules are the domain's (transitions.ts, import.ts).
 */
import { dependencyCycle, unknownDependency } from "../../domain/errors.js";
import { formatTaskId, tryParseTaskId } from "../../domain/ids.js";
import { type ImportResult, type ImportRow, isStoredAlready } from "../../domain/import.js";
import type { Task } from "../../domain/task.js";
import * as T from "../../domain/transitions.js";
import { type TaskPatch, validateTaskPatch } from "../../domain/validate.js";
import type { PgContext } from "./context.js";
import { transition, withLockedTask } from "./locking.js";
import { jsonArray, type Row, rowToTask } from "./rows.js";

export async function update(ctx: PgContext, id: string, input: TaskPatch): Promise<Task> {
  ctx.assertOpen();
  const patch = validateTaskPatch(input);
  return withLockedTask(ctx, id, "updated", async (row, tx) => {
    const seq = Number(row.seq);
    const after = T.updateTask(rowToTask(row), patch, row.now_ms);
    await tx.query(ctx.sql.updateFields, [
      seq,
      after.description,
      after.criteria,
      after.priority,
      after.max_attempts,
      jsonArray(after.tags),
      after.updated_at,
    ]);
    if (patch.depends_on !== undefined) {
      const seqs = patch.depends_on.map((dep) => tryParseTaskId(dep));
      const known = new Set(
        (await tx.query<{ seq: string }>(ctx.sql.lockDependencies, [seqs.filter((s) => s !== null)])).map(
          (r) => Number(r.seq),
        ),
      );
      patch.depends_on.forEach((dep, k) => {
        const s = seqs[k];
        if (s === null || s === undefined || !known.has(s)) throw unknownDependency(dep, null, false);
      });
      const deps = seqs as number[];
      if (deps.length > 0 && (await tx.query(ctx.sql.reaches, [deps, seq])).length > 0) {
        throw dependencyCycle(after.id);
      }
      await tx.query(ctx.sql.deleteEdgesOf, [seq]);
      if (deps.length > 0) {
        await tx.query(ctx.sql.flagDependents, [deps]);
        await tx.query(ctx.sql.insertEdges, [deps.map(() => seq), deps]);
      }
      await tx.query(ctx.sql.setDeps, [[seq], [jsonArray(deps.map(formatTaskId))]]);
    }
    const [saved] = await tx.query<Row>(ctx.sql.getOne, [seq]);
    return rowToTask(saved as Row);
  });
}

export async function remove(ctx: PgContext, id: string, force: boolean): Promise<Task> {
  return withLockedTask(ctx, id, "deleted", async (row, tx) => {
    const seq = Number(row.seq);
    const before = rowToTask(row);
    T.assertDeletable(before, force);
    if (row.has_dependents && row.status !== "completed") {
      // A dependent no longer waits for a task that is gone.
      await tx.query(ctx.sql.lockDependents, [[seq]]);
      await tx.query(ctx.sql.adjustDependents, [[seq], [-1]]);
    }
    await tx.query(ctx.sql.deleteOne, [seq]);
    return before;
  });
}

export function reset(ctx: PgContext, id: string): Promise<Task> {
  return transition(ctx, id, (task, now) => T.resetTask(task, now));
}

export async function importTasks(ctx: PgContext, rows: ImportRow[]): Promise<ImportResult> {
  ctx.assertOpen();
  const result = await ctx.db.transaction(async (tx) => {
    // Rare and whole: hold off every other writer while ids and keys are settled.
    await tx.query(ctx.sql.allowLongStatement);
    await tx.query(ctx.sql.lockForReset);
    const keys = rows.map((r) => r.task.idempotency_key).filter((k): k is string => k !== null);
    const byKey = new Map(
      keys.length === 0
        ? []
        : (await tx.query<Row>(ctx.sql.byKeys, [keys])).map((r) => [
            r.idempotency_key as string,
            Number(r.seq),
          ]),
    );
    // The tasks by the file's ids: the same task is skipped, another one keeps its id.
    const asked = rows
      .map((r) => (r.fileId === null ? null : tryParseTaskId(r.fileId)))
      .filter((s) => s !== null);
    const byId = new Map(
      asked.length === 0
        ? []
        : (
            await tx.query<Pick<Row, "seq" | "description" | "created_at">>(ctx.sql.existingSeqs, [asked])
          ).map((r) => [Number(r.seq), r]),
    );
    const existing: ImportResult["existing"] = [];
    const seqOf = new Map<string, number>();
    const fresh: Array<{ i: number; row: ImportRow }> = [];
    const keyRow = new Map<string, number>(); // key → index in fresh, for repeats inside the file
    const repeats: Array<{ i: number; row: ImportRow; of: number }> = [];
    rows.forEach((row, i) => {
      const key = row.task.idempotency_key;
      const stored = key === null ? undefined : byKey.get(key);
      if (stored !== undefined) {
        existing.push({ row: i + 1, id: formatTaskId(stored) });
        if (row.fileId) seqOf.set(row.fileId, stored);
        return;
      }
      const sameId = row.fileId === null ? null : tryParseTaskId(row.fileId);
      if (sameId !== null && isStoredAlready(row, byId.get(sameId))) {
        existing.push({ row: i + 1, id: formatTaskId(sameId) });
        if (row.fileId) seqOf.set(row.fileId, sameId);
        return;
      }
      const earlier = key === null ? undefined : keyRow.get(key);
      if (earlier !== undefined) {
        repeats.push({ i, row, of: earlier });
        return;
      }
      if (key !== null) keyRow.set(key, fresh.length);
      fresh.push({ i, row });
    });
    const wanted = fresh.map(({ row }) => (row.fileId === null ? null : tryParseTaskId(row.fileId)));
    const seqs: Array<number | null> = wanted.map((s) => (s !== null && !byId.has(s) ? s : null));
    const kept = seqs.filter((s): s is number => s !== null);
    if (kept.length > 0) await tx.query(ctx.sql.advanceSeq, [Math.max(...kept)]);
    const missing = seqs.filter((s) => s === null).length;
    const drawn =
      missing === 0
        ? []
        : (await tx.query<{ seq: string }>(ctx.sql.allocateSeqs, [missing])).map((r) => Number(r.seq));
    const final = seqs.map((s) => s ?? (drawn.shift() as number));
    fresh.forEach(({ row }, k) => {
      if (row.fileId) seqOf.set(row.fileId, final[k] as number);
    });
    for (const { i, row, of } of repeats) {
      const seq = final[of] as number;
      existing.push({ row: i + 1, id: formatTaskId(seq) });
      if (row.fileId) seqOf.set(row.fileId, seq);
    }
    if (fresh.length > 0) {
      const now = new Date().toISOString();
      const col = <V>(f: (row: ImportRow) => V) => fresh.map(({ row }) => f(row));
      await tx.query(ctx.sql.importInsert, [
        final,
        col((r) => r.task.description),
        col((r) => r.task.criteria),
        col((r) => r.task.priority),
        col((r) => r.task.max_attempts),
        col((r) => r.attempts),
        col((r) => r.status),
        col((r) => r.result),
        col((r) => r.failure_reason),
        col((r) => jsonArray(r.feedback)),
        col((r) => jsonArray(r.task.tags)),
        col((r) => r.task.idempotency_key),
        col((r) => r.created_at ?? now),
        col((r) => r.started_at),
        col((r) => r.completed_at),
        col((r) => r.updated_at ?? now),
      ]);
      // Dependencies: rows of the file by their ids there, else tasks already stored.
      const targets = fresh.map(({ row }) =>
        row.task.depends_on.map((dep) => seqOf.get(dep) ?? tryParseTaskId(dep)),
      );
      const outside = [...new Set(targets.flat().filter((s): s is number => s !== null))];
      const present = new Set(
        outside.length === 0
          ? []
          : (await tx.query<{ seq: string }>(ctx.sql.lockDependencies, [outside])).map((r) => Number(r.seq)),
      );
      const from: number[] = [];
      const to: number[] = [];
      fresh.forEach(({ i, row }, k) => {
        row.task.depends_on.forEach((dep, d) => {
          const target = targets[k]?.[d];
          if (target === null || target === undefined || !present.has(target) || target === final[k]) {
            throw unknownDependency(dep, i, true);
          }
          from.push(final[k] as number);
          to.push(target);
        });
      });
      if (from.length > 0) {
        await tx.query(ctx.sql.flagDependents, [[...new Set(to)]]);
        await tx.query(ctx.sql.insertEdges, [from, to]);
        await tx.query(ctx.sql.setDeps, [
          final,
          targets.map((t) => jsonArray([...new Set(t as number[])].map(formatTaskId))),
        ]);
      }
    }
    const stored = fresh.length === 0 ? [] : await tx.query<Row>(ctx.sql.lockMany, [final]);
    const bySeq = new Map(stored.map((r) => [Number(r.seq), rowToTask(r)]));
    const ids: Record<string, string> = {};
    for (const [fileId, seq] of seqOf) ids[fileId] = formatTaskId(seq);
    return { created: final.map((s) => bySeq.get(s) as Task), existing, ids, seqs: final };
  });
  if (result.seqs.length > 0) ctx.feed.publish([{ kind: "created", seqs: result.seqs }]);
  const { seqs: _seqs, ...out } = result;
  out.existing.sort((a, b) => a.row - b.row);
  return out;
}
