/**
 * The safety check between attempts. One breaker per run (fresh state every run).
 *
 * Limits and budgets — max iterations, max wall-clock time, the cost budget — end the run when
 * reached: waiting would not make them pass. Failure patterns — consecutive failures, the same
 * output or the same error k times in the last n executions, one task attempted too often — open
 * the breaker: closed → open; after `cooldownMs` it turns half-open and lets one trial execution
 * through; a pass closes it again, a failure opens it again. After `maxTrips` openings (or with no
 * cooldown) the run stops. Every stop carries a reason a person can read.
 *
 * Time comes from an injected Clock, so tests drive the wall clock and the cooldown without sleeping.
 */
import { createHash } from "node:crypto";
import type { StopCode } from "../domain/run.js";
import { formatDuration, usd } from "./format.js";
import type { BreakerLimits } from "./options.js";
import type { Clock } from "./types.js";

export type BreakerState = "closed" | "open" | "half_open";

export interface Trip {
  code: StopCode;
  reason: string;
  /** A limit or budget: the run stops, no cooldown helps. */
  hard: boolean;
}

export type BreakerDecision =
  | { kind: "proceed"; state: "closed" | "half_open" }
  /** Open: wait until `until` (clock time), then one trial execution is allowed. */
  | { kind: "wait"; until: number; code: StopCode; reason: string }
  | { kind: "stop"; code: StopCode; reason: string };

/** The outcome of one execution, as the breaker sees it. */
export interface AttemptRecord {
  taskId: string;
  passed: boolean;
  /** What the executor produced, when it ran but the result did not pass. */
  output?: string | null | undefined;
  /** Why it failed, when the execution failed or the result could not be judged. */
  error?: string | null | undefined;
  costUsd: number;
}

interface WindowEntry {
  signature: string;
  kind: "output" | "error";
  sample: string;
  taskId: string;
}

function quote(text: string, max = 160): string {
  const t = text.replace(/\s+/g, " ").trim();
  return `"${t.length > max ? `${t.slice(0, max)}…` : t}"`;
}

/** Numbers (pids, durations, line numbers) vary between identical failures; compare without them. */
function normaliseError(text: string): string {
  return text
    .replace(/\d+(\.\d+)?/g, "#")
    .replace(/\s+/g, " ")
    .trim()
    .toLowerCase()
    .slice(0, 2000);
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export class CircuitBreaker {
  private readonly startedAt: number;
  private _state: BreakerState = "closed";
  private _trips = 0;
  private openedAt = 0;
  private lastTrip: Trip | null = null;
  private hardStop: Trip | null = null;
  private _iterations = 0;
  private _costUsd = 0;
  private consecutiveFailures = 0;
  private window: Array<WindowEntry | null> = [];
  private readonly perTask = new Map<string, number>();

  constructor(
    readonly limits: BreakerLimits,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now();
  }

  get state(): BreakerState {
    return this._state;
  }
  get trips(): number {
    return this._trips;
  }
  get iterations(): number {
    return this._iterations;
  }
  get costUsd(): number {
    return this._costUsd;
  }

  /** Milliseconds left before the wall-clock limit. */
  remainingMs(): number {
    return this.startedAt + this.limits.maxWallClockMs - this.clock.now();
  }

  /** May the next execution start? */
  check(): BreakerDecision {
    const hard = this.hardStop ?? this.limitReached();
    if (hard) {
      this.hardStop = hard;
      this._state = "open";
      return { kind: "stop", code: hard.code, reason: hard.reason };
    }
    if (this._state !== "open") return { kind: "proceed", state: this._state };
    const trip = this.lastTrip as Trip;
    if (this._trips >= this.limits.maxTrips || this.limits.cooldownMs <= 0) {
      return { kind: "stop", code: trip.code, reason: trip.reason };
    }
    const until = this.openedAt + this.limits.cooldownMs;
    if (this.clock.now() >= until) {
      this._state = "half_open";
      return { kind: "proceed", state: "half_open" };
    }
    return { kind: "wait", until, code: trip.code, reason: trip.reason };
  }

  /** Count one execution's outcome; returns the trip when it opened the breaker. */
  record(attempt: AttemptRecord): Trip | null {
    this._iterations += 1;
    this._costUsd += attempt.costUsd;
    const runs = (this.perTask.get(attempt.taskId) ?? 0) + 1;
    this.perTask.set(attempt.taskId, runs);

    if (attempt.passed) {
      this.consecutiveFailures = 0;
      this.push(null);
      if (this._state === "half_open") {
        this._state = "closed";
        this.window = [];
      }
      return this.hardTrip();
    }

    this.consecutiveFailures += 1;
    const entry: WindowEntry =
      attempt.error != null
        ? {
            kind: "error",
            signature: `e:${hash(normaliseError(attempt.error))}`,
            sample: attempt.error,
            taskId: attempt.taskId,
          }
        : {
            kind: "output",
            signature: `o:${hash(attempt.output ?? "")}`,
            sample: attempt.output ?? "",
            taskId: attempt.taskId,
          };
    this.push(entry);

    const hard = this.hardTrip();
    if (hard) return hard;
    if (this._state === "half_open") {
      const before = this.lastTrip as Trip;
      return this.open({
        code: before.code,
        reason: `${before.reason} Still failing after a ${formatDuration(this.limits.cooldownMs)} cooldown (${attempt.taskId}: ${quote(entry.sample, 100)}).`,
        hard: false,
      });
    }
    const trip =
      this.repeated(entry) ?? this.taskAttempts(attempt.taskId, runs) ?? this.consecutive(attempt, entry);
    return trip ? this.open(trip) : null;
  }

  private push(entry: WindowEntry | null): void {
    this.window.push(entry);
    if (this.window.length > this.limits.repeatWindow) this.window.shift();
  }

  private open(trip: Trip): Trip {
    this._state = "open";
    this._trips += 1;
    this.openedAt = this.clock.now();
    this.lastTrip = trip;
    return trip;
  }

  private hardTrip(): Trip | null {
    const hard = this.limitReached();
    if (hard) {
      this.hardStop = hard;
      this._state = "open";
    }
    return hard;
  }

  private limitReached(): Trip | null {
    const l = this.limits;
    if (l.maxCostUsd !== null && this._costUsd >= l.maxCostUsd) {
      return {
        code: "cost_budget",
        reason: `Spent ${usd(this._costUsd)}, which reaches the cost budget of ${usd(l.maxCostUsd)} for one run.`,
        hard: true,
      };
    }
    if (this._iterations >= l.maxIterations) {
      return {
        code: "max_iterations",
        reason: `Reached the limit of ${l.maxIterations} executions for one run.`,
        hard: true,
      };
    }
    const elapsed = this.clock.now() - this.startedAt;
    if (elapsed >= l.maxWallClockMs) {
      return {
        code: "wall_clock",
        reason: `Reached the wall-clock limit of ${formatDuration(l.maxWallClockMs)} for one run.`,
        hard: true,
      };
    }
    return null;
  }

  private repeated(entry: WindowEntry): Trip | null {
    const { repeatThreshold: k, repeatWindow: n } = this.limits;
    const count = this.window.filter((e) => e?.signature === entry.signature).length;
    if (count < k) return null;
    return entry.kind === "error"
      ? {
          code: "repeated_error",
          reason: `The same error came back ${count} times in the last ${n} executions: ${quote(entry.sample)}.`,
          hard: false,
        }
      : {
          code: "repeated_output",
          reason: `The agent produced the same rejected output ${count} times in the last ${n} executions: ${quote(entry.sample)}.`,
          hard: false,
        };
  }

  private taskAttempts(taskId: string, runs: number): Trip | null {
    if (runs < this.limits.maxTaskAttempts) return null;
    return {
      code: "task_attempts",
      reason: `${taskId} was attempted ${runs} times in this run without passing (limit ${this.limits.maxTaskAttempts}).`,
      hard: false,
    };
  }

  private consecutive(attempt: AttemptRecord, entry: WindowEntry): Trip | null {
    if (this.consecutiveFailures < this.limits.maxConsecutiveFailures) return null;
    return {
      code: "consecutive_failures",
      reason: `${this.consecutiveFailures} attempts in a row did not pass; the last, on ${attempt.taskId}: ${quote(entry.sample)}.`,
      hard: false,
    };
  }
}
