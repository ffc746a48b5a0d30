/**
 * Keeping a lease while a task executes: renewed every third of it. When the store says the task is
 * no longer ours (a non-retryable error: someone completed, failed, reset it, or its lease passed
 * to another worker), the execution is stopped and the task left to its holder; a store that is
 * only busy or unreachable is tried again at the next renewal.
 */
import { isRalphError } from "../domain/errors.js";
import { log } from "../log.js";
import type { TaskStore } from "../store/types.js";

export interface KeptLease {
  /** Stop renewing (the attempt is over). */
  stop(): void;
  /** Why the task was lost while it executed, or null. */
  readonly lost: string | null;
}

export function keepLease(
  store: TaskStore,
  taskId: string,
  holder: { workerId: string; leaseMs: number },
  execution: AbortController,
): KeptLease {
  let lost: string | null = null;
  const timer = setInterval(
    () => {
      store.renewLease(taskId, holder).catch((error: unknown) => {
        if (isRalphError(error) && !error.retryable) {
          lost = `the task changed hands while it executed (${error.message}); stopped and left to its holder`;
          execution.abort(lost);
        } else {
          log.warn({ err: error, task: taskId }, "could not renew the lease; trying again");
        }
      });
    },
    Math.max(100, Math.floor(holder.leaseMs / 3)),
  );
  return {
    stop: () => clearInterval(timer),
    get lost() {
      return lost;
    },
  };
}
