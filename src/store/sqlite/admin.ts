/** Whole-queue operations of the SQLite store, rare and administrative. */
import type { SqliteContext } from "./context.js";

/** Every task back to a fresh pending; returns how many tasks there are. */
export function resetAll(ctx: SqliteContext): Promise<number> {
  return ctx.write((changes) => {
    const info = ctx.stmt.resetAll.run(new Date(ctx.clock.now()).toISOString());
    changes.push({ kind: "reset", seqs: null });
    return info.changes;
  });
}

/** Delete completed tasks and their edges; returns how many. */
export function clearCompleted(ctx: SqliteContext): Promise<number> {
  return ctx.write((changes) => {
    const seqs = ctx.stmt.completedSeqs.all().map((r) => r.seq);
    if (seqs.length === 0) return 0;
    const list = JSON.stringify(seqs);
    ctx.stmt.deleteEdgesTo.run(list);
    ctx.stmt.deleteEdgesFrom.run(list);
    ctx.stmt.deleteCompleted.run();
    changes.push({ kind: "deleted", seqs: seqs.length <= 1000 ? seqs : null });
    return seqs.length;
  });
}
