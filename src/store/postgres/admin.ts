/** Whole-queue operations of the PostgreSQL store, rare and administrative (sql/bulk.ts). */
import type { PgContext } from "./context.js";

export async function resetAll(ctx: PgContext): Promise<number> {
  ctx.assertOpen();
  const n = await ctx.db.transaction(async (tx) => {
    await tx.query(ctx.sql.allowLongStatement);
    await tx.query(ctx.sql.lockForReset);
    const [row] = await tx.query<{ n: number }>(ctx.sql.resetAll);
    return row?.n ?? 0;
  });
  ctx.feed.publish([{ kind: "reset", seqs: null }]);
  return n;
}

export async function clearCompleted(ctx: PgContext): Promise<number> {
  ctx.assertOpen();
  const { n, seqs } = await ctx.db.transaction(async (tx) => {
    await tx.query(ctx.sql.allowLongStatement);
    const [row] = await tx.query<{ n: number; seqs: string[] | null }>(ctx.sql.clearCompleted);
    return row ?? { n: 0, seqs: null };
  });
  if (n > 0) ctx.feed.publish([{ kind: "deleted", seqs: seqs === null ? null : seqs.map(Number) }]);
  return n;
}
