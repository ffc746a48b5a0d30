/** Why a run stops, and the run status each stop ends in. */
import type { RunStatus, StopCode } from "../domain/run.js";

export interface Stop {
  code: StopCode;
  reason: string;
}

export function statusFor(code: StopCode): RunStatus {
  switch (code) {
    case "queue_empty":
    case "max_tasks":
      return "finished";
    case "cancelled":
      return "cancelled";
    case "error":
      return "error";
    case "abandoned":
      return "abandoned";
    default:
      return "stopped";
  }
}

/** The stop an aborted run ends with: its reason as a sentence, naming the task it put back. */
export function abortedStop(stop: Stop, releasedTasks: readonly string[]): Stop {
  const reason = /[.!?]$/.test(stop.reason) ? stop.reason : `${stop.reason}.`;
  const n = releasedTasks.length;
  const putBack = n > 0 ? ` ${releasedTasks.join(", ")} ${n === 1 ? "was" : "were"} put back in line.` : "";
  return { code: stop.code, reason: reason + putBack };
}

export function maxTasksStop(maxTasks: number): Stop {
  return {
    code: "max_tasks",
    reason: `Processed ${maxTasks} task${maxTasks === 1 ? "" : "s"} (max_tasks ${maxTasks}).`,
  };
}

/** The queue has nothing ready for this run: done, or why not (dependencies, held elsewhere). */
export function queueEmptyStop(s: { pending: number; in_progress: number; blocked: number }): Stop {
  if (s.pending === 0 && s.in_progress === 0) {
    return { code: "queue_empty", reason: "The queue is done: no pending tasks are left." };
  }
  const waiting = [
    s.blocked > 0 ? `${s.blocked} wait${s.blocked === 1 ? "s" : ""} for dependencies` : null,
    s.in_progress > 0 ? `${s.in_progress} ${s.in_progress === 1 ? "is" : "are"} in progress elsewhere` : null,
  ].filter(Boolean);
  return {
    code: "queue_empty",
    reason: `No pending task is ready${waiting.length > 0 ? `: ${waiting.join(", ")}` : ""}.`,
  };
}
