/**
 * SET clauses built from the domain's write tables (src/domain/claim.ts), so the single-statement
 * claim and completion write exactly what `startTask` and `completeTask` do (both stores' SQL).
 */

import type { WriteSource, Writes } from "../domain/claim.js";
import { TASK_STATUSES } from "../domain/task.js";

/** The SQL expression for each kind of source, in the statement at hand. */
interface WriteExpressions {
  now: string;
  lease_end?: string;
  worker?: string;
  result?: string;
  /** The row's current attempts, e.g. `attempts` or `t.attempts`. */
  attempts?: string;
}

export function setClause(writes: Writes, expr: WriteExpressions): string {
  return Object.entries(writes)
    .map(([field, source]) => `${field} = ${expression(source as WriteSource, expr)}`)
    .join(", ");
}

/** Statuses from the domain's own list as an SQL list: `'pending', 'in_progress'`. */
export function statusList(statuses: readonly string[]): string {
  for (const status of statuses) {
    if (!(TASK_STATUSES as readonly string[]).includes(status)) throw new Error(`not a status: ${status}`);
  }
  return statuses.map((s) => `'${s}'`).join(", ");
}

function expression(source: WriteSource, expr: WriteExpressions): string {
  if (source === null) return "NULL";
  if (typeof source === "object") {
    // A status from the domain's own list (never input), so it may be written as a literal.
    if (!TASK_STATUSES.includes(source.status)) throw new Error(`not a status: ${source.status}`);
    return `'${source.status}'`;
  }
  const value =
    source === "next_attempt"
      ? expr.attempts === undefined
        ? undefined
        : `${expr.attempts} + 1`
      : expr[source];
  if (value === undefined) throw new Error(`the statement gives no expression for ${source}`);
  return value;
}
