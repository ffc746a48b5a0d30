/**
 * A task whose worker died keeps its lease until someone expires it. Claims expire leases as they
 * go, but a queue nobody claims from would show dead tasks "in progress" forever; this sweep puts
 * them back in line every few seconds. The timer is unref'd: it never keeps the process alive.
 */

import { log } from "../log.js";
import type { TaskStore } from "../store/types.js";

const LEASE_SWEEP_MS = 5_000;

export function startLeaseSweep(store: TaskStore, intervalMs = LEASE_SWEEP_MS): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    store
      .expireLeases()
      .then((expired) => {
        if (expired.length > 0) log.info({ tasks: expired.map((t) => t.id) }, "expired leases");
      })
      .catch((error) => log.warn({ err: error }, "lease sweep failed; will try again"))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
