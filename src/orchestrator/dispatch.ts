/**
 * The dispatcher of a run: it claims one task at a time and starts it in a free worker, up to
 * `parallel` at once, with one breaker for all of them.
 *
 * - Whatever stops the run, the attempts under way end before it does: they finish when the
 *   breaker or the queue says stop, and are stopped (their tasks put back) when the run is
 *   cancelled or hits its wall clock.
 * - A half-open breaker lets its one trial execution run alone; an open one lets the attempts
 *   under way finish before its cooldown starts.
 * - No more executions start than the iteration limit leaves room for.
 * - An empty queue ends the run only once no attempt is under way (one may put its task back in
 *   line, or make another ready) and no task it sent back is backing off (it waits for that).
 */
import type { Task } from "../domain/task.js";
import type { TaskStore } from "../store/types.js";
import type { CircuitBreaker } from "./circuit-breaker.js";
import { held, isConflict } from "./outcome.js";
import { maxTasksStop, queueEmptyStop, type Stop } from "./stop.js";
import type { WorkerSlots } from "./workers.js";

export interface Dispatcher {
  workers: WorkerSlots;
  breaker: CircuitBreaker;
  maxIterations: number;
  /** Aborts when the run is cancelled or hits its wall clock (its reason is a Stop). */
  signal: AbortSignal;
  /** A worker's store failure: it ends the run (thrown). */
  failure(): { error: unknown } | null;
  /** The stop of an aborted run. */
  aborted(): Stop;
  /** Wait out the breaker's cooldown (or until the run is aborted). */
  cooldown(until: number, reason: string): Promise<void>;
  /** Nothing is ready: wait for a task of this run that is backing off; false when there is none. */
  backoff(): Promise<boolean>;
  claim(): Promise<Task | Stop>;
  /** Start the claimed task in a free worker. */
  start(task: Task): void;
}

export async function dispatch(d: Dispatcher): Promise<Stop> {
  const { workers, breaker } = d;
  const end = async (stop: () => Stop): Promise<Stop> => {
    await workers.all();
    const failure = d.failure();
    if (failure) throw failure.error;
    return stop();
  };
  for (;;) {
    if (d.signal.aborted || d.failure()) return end(() => d.aborted());
    if (workers.free() === undefined) {
      await workers.any();
      continue;
    }
    const busy = workers.count > 0;
    const decision = breaker.check();
    if (decision.kind === "stop") return end(() => decision);
    if (busy && (decision.kind === "wait" || decision.state === "half_open")) {
      await workers.any();
      continue;
    }
    if (decision.kind === "wait") {
      await d.cooldown(decision.until, decision.reason);
      continue;
    }
    if (busy && breaker.iterations + workers.count >= d.maxIterations) {
      await workers.any();
      continue;
    }
    const claimed = await d.claim();
    if (!("code" in claimed)) d.start(claimed);
    else if (d.signal.aborted) continue;
    else if (busy) await workers.any();
    else if (!(claimed.code === "queue_empty" && (await d.backoff()))) return claimed;
  }
}

export interface ClaimScope {
  store: TaskStore;
  workerId: string;
  leaseMs: number;
  maxTasks: number;
  /** The tasks the run has taken on. */
  processed: ReadonlySet<string>;
  signal: AbortSignal;
  aborted(): Stop;
}

/**
 * The next task for the run, or why there is none. Past max_tasks the run only goes on with the
 * tasks it already took on (their retries); a task claimed as the run is stopped is given back.
 */
export async function claimFor(scope: ClaimScope): Promise<Task | Stop> {
  const { store, maxTasks, processed } = scope;
  const atCap = processed.size >= maxTasks;
  if (atCap) {
    const next = await store.peekNext();
    if (!next || !processed.has(next.id)) return maxTasksStop(maxTasks);
  }
  const task = await store.claimNext({ workerId: scope.workerId, leaseMs: scope.leaseMs });
  if (!task) return queueEmptyStop(await store.stats());
  if (scope.signal.aborted || (atCap && !processed.has(task.id))) {
    try {
      await store.release(task.id, held(scope.workerId));
    } catch (error) {
      if (!isConflict(error)) throw error;
      // Someone decided about it in the meantime: it is not ours to give back.
    }
    return scope.signal.aborted ? scope.aborted() : maxTasksStop(maxTasks);
  }
  return task;
}
