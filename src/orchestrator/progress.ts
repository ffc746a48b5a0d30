/**
 * A run's progress: numbered events to its listeners (a listener that throws is logged, never
 * stops the run), and the timers that drive a run between events — the heartbeat and the
 * wall-clock deadline.
 */
import { Emitter } from "../emitter.js";
import { log } from "../log.js";
import { formatDuration } from "./format.js";
import type { Clock, ProgressListener, RunProgress } from "./types.js";
import type { WorkerState } from "./workers.js";

export class ProgressFeed {
  private readonly listeners = new Emitter<RunProgress>((error) =>
    log.warn({ err: error }, "a progress listener failed"),
  );
  private seq = 0;

  on(listener: ProgressListener): () => void {
    return this.listeners.on(listener);
  }

  /** Send an event; `seq` grows by one with each. */
  send(event: Omit<RunProgress, "seq">): void {
    this.seq += 1;
    const numbered: RunProgress = { seq: this.seq, ...event };
    log.debug({ run: event.run.id, kind: event.kind, task: event.task_id }, event.message);
    this.listeners.emit(numbered);
  }

  clear(): void {
    this.listeners.clear();
  }
}

/** "task-003 attempt 2: executing for 12 s; task-004 attempt 1: verifying for 3 s". */
export function workingMessage(busy: readonly WorkerState[], now = Date.now()): string {
  return busy
    .map((c) => {
      const since = formatDuration(Math.max(0, now - Date.parse(c.since)));
      return `${c.task_id} attempt ${c.attempt}: ${c.phase} for ${since}`;
    })
    .join("; ");
}

export interface RunTimers {
  heartbeatMs: number;
  clock: Clock;
  /** Time left before the wall-clock limit. */
  remainingMs: number;
  onHeartbeat(): void;
  onDeadline(): void;
}

/** Start the heartbeat and the deadline; returns the function that stops both. */
export function startRunTimers(t: RunTimers): () => void {
  const heartbeat = setInterval(t.onHeartbeat, t.heartbeatMs);
  const deadline = new AbortController();
  t.clock.sleep(t.remainingMs, deadline.signal).then(t.onDeadline, () => {});
  return () => {
    clearInterval(heartbeat);
    deadline.abort();
  };
}
