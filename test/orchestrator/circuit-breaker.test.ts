/** Every limit of the breaker trips in a test of its own; time comes from a manual clock. */
import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "../../src/orchestrator/circuit-breaker.js";
import { type BreakerLimits, DEFAULT_BREAKER_LIMITS } from "../../src/orchestrator/options.js";
import { ManualClock } from "./helpers.js";

/** Generous limits, so only the one under test can trip. */
const loose: BreakerLimits = {
  maxIterations: 1000,
  maxConsecutiveFailures: 1000,
  maxWallClockMs: 10 * 60 * 60 * 1000,
  maxCostUsd: null,
  repeatThreshold: 1000,
  repeatWindow: 1000,
  maxTaskAttempts: 1000,
  cooldownMs: 0,
  maxTrips: 1,
};

function breaker(limits: Partial<BreakerLimits>, clock = new ManualClock()) {
  return { b: new CircuitBreaker({ ...loose, ...limits }, clock), clock };
}

const pass = (taskId = "task-001", costUsd = 0) => ({ taskId, passed: true, costUsd });
const fail = (taskId: string, error: string) => ({ taskId, passed: false, error, costUsd: 0 });
const reject = (taskId: string, output: string) => ({ taskId, passed: false, output, costUsd: 0 });

describe("circuit breaker limits", () => {
  it("max iterations: stops once the run has made that many executions", () => {
    const { b } = breaker({ maxIterations: 3 });
    for (let i = 0; i < 2; i++) {
      expect(b.check().kind).toBe("proceed");
      expect(b.record(pass(`task-00${i}`))).toBeNull();
    }
    expect(b.check().kind).toBe("proceed");
    const trip = b.record(pass("task-003"));
    expect(trip?.code).toBe("max_iterations");
    const decision = b.check();
    expect(decision).toMatchObject({ kind: "stop", code: "max_iterations" });
    expect(decision.kind === "stop" && decision.reason).toMatch(/limit of 3 executions/);
  });

  it("max consecutive failures: opens after k attempts in a row do not pass, a pass resets the count", () => {
    const { b } = breaker({ maxConsecutiveFailures: 3 });
    b.record(fail("task-001", "error one"));
    b.record(fail("task-002", "error two"));
    b.record(pass("task-003"));
    b.record(fail("task-004", "error three"));
    b.record(fail("task-005", "error four"));
    expect(b.check().kind).toBe("proceed");
    const trip = b.record(reject("task-006", "an output"));
    expect(trip?.code).toBe("consecutive_failures");
    expect(trip?.reason).toMatch(/3 attempts in a row did not pass; the last, on task-006/);
    expect(b.state).toBe("open");
    expect(b.check()).toMatchObject({ kind: "stop", code: "consecutive_failures" });
  });

  it("max wall-clock time: stops when the run has taken that long", () => {
    const { b, clock } = breaker({ maxWallClockMs: 60_000 });
    expect(b.check().kind).toBe("proceed");
    clock.advance(59_999);
    expect(b.check().kind).toBe("proceed");
    expect(b.remainingMs()).toBe(1);
    clock.advance(1);
    const decision = b.check();
    expect(decision).toMatchObject({ kind: "stop", code: "wall_clock" });
    expect(decision.kind === "stop" && decision.reason).toMatch(/wall-clock limit of 60 s/);
  });

  it("cost budget: stops when tokens × prices reach the budget", () => {
    const { b } = breaker({ maxCostUsd: 0.05 });
    expect(b.record(pass("task-001", 0.02))).toBeNull();
    expect(b.record(pass("task-002", 0.02))).toBeNull();
    expect(b.check().kind).toBe("proceed");
    expect(b.record(pass("task-003", 0.011))?.code).toBe("cost_budget");
    const decision = b.check();
    expect(decision).toMatchObject({ kind: "stop", code: "cost_budget" });
    expect(decision.kind === "stop" && decision.reason).toMatch(/Spent \$0\.0510.*budget of \$0\.0500/);
  });

  it("the same error k of the last n executions: opens, naming the error", () => {
    const { b } = breaker({ repeatThreshold: 3, repeatWindow: 5 });
    // Numbers (pids, durations) differ between identical failures and do not count.
    b.record(fail("task-001", "Command exited with code 1: ENOENT config.json (pid 101)"));
    b.record(pass("task-002"));
    b.record(fail("task-003", "Command exited with code 1: ENOENT config.json (pid 202)"));
    b.record(fail("task-004", "something else"));
    const trip = b.record(fail("task-005", "Command exited with code 1: ENOENT config.json (pid 303)"));
    expect(trip?.code).toBe("repeated_error");
    expect(trip?.reason).toMatch(/same error came back 3 times in the last 5 executions: "Command exited/);
  });

  it("the same error outside the window does not count", () => {
    const { b } = breaker({ repeatThreshold: 2, repeatWindow: 3 });
    b.record(fail("task-001", "boom"));
    b.record(pass("task-002"));
    b.record(pass("task-003"));
    expect(b.record(fail("task-004", "boom"))).toBeNull();
  });

  it("the same rejected output k of the last n executions: opens", () => {
    const { b } = breaker({ repeatThreshold: 2, repeatWindow: 4 });
    expect(b.record(reject("task-001", "I cannot do that."))).toBeNull();
    expect(b.record(reject("task-001", "Something different."))).toBeNull();
    const trip = b.record(reject("task-002", "I cannot do that."));
    expect(trip?.code).toBe("repeated_output");
    expect(trip?.reason).toMatch(
      /same rejected output 2 times in the last 4 executions: "I cannot do that\."/,
    );
  });

  it("per-task attempts: opens when one task was tried that often in this run without passing", () => {
    const { b } = breaker({ maxTaskAttempts: 3 });
    b.record(reject("task-007", "a"));
    b.record(reject("task-008", "b"));
    b.record(reject("task-007", "c"));
    const trip = b.record(reject("task-007", "d"));
    expect(trip?.code).toBe("task_attempts");
    expect(trip?.reason).toBe("task-007 was attempted 3 times in this run without passing (limit 3).");
  });
});

describe("circuit breaker states", () => {
  it("closed → open → (cooldown) → half-open → a pass closes it", () => {
    const { b, clock } = breaker({ maxConsecutiveFailures: 2, cooldownMs: 30_000, maxTrips: 3 });
    expect(b.state).toBe("closed");
    b.record(fail("task-001", "x"));
    b.record(fail("task-001", "y"));
    expect(b.state).toBe("open");
    const wait = b.check();
    expect(wait).toMatchObject({ kind: "wait", code: "consecutive_failures", until: clock.now() + 30_000 });
    clock.advance(29_999);
    expect(b.check().kind).toBe("wait");
    clock.advance(1);
    expect(b.check()).toEqual({ kind: "proceed", state: "half_open" });
    expect(b.state).toBe("half_open");
    expect(b.record(pass("task-002"))).toBeNull();
    expect(b.state).toBe("closed");
    expect(b.check()).toEqual({ kind: "proceed", state: "closed" });
  });

  it("a failed trial in half-open opens it again; at maxTrips the run stops", () => {
    const { b, clock } = breaker({ maxConsecutiveFailures: 2, cooldownMs: 1000, maxTrips: 2 });
    b.record(fail("task-001", "x"));
    b.record(fail("task-001", "y"));
    expect(b.trips).toBe(1);
    clock.advance(1000);
    expect(b.check()).toMatchObject({ kind: "proceed", state: "half_open" });
    const trip = b.record(fail("task-002", "z"));
    expect(trip?.reason).toMatch(/Still failing after a 1 s cooldown \(task-002: "z"\)/);
    expect(b.state).toBe("open");
    expect(b.trips).toBe(2);
    clock.advance(10_000);
    expect(b.check()).toMatchObject({ kind: "stop", code: "consecutive_failures" });
  });

  it("with no cooldown the first opening stops the run", () => {
    const { b } = breaker({ maxConsecutiveFailures: 1, cooldownMs: 0, maxTrips: 5 });
    b.record(fail("task-001", "x"));
    expect(b.check().kind).toBe("stop");
  });

  it("a limit is final: no cooldown reopens it", () => {
    const { b, clock } = breaker({ maxIterations: 1, cooldownMs: 10, maxTrips: 5 });
    b.record(pass());
    clock.advance(1000);
    expect(b.check()).toMatchObject({ kind: "stop", code: "max_iterations" });
  });

  it("the defaults are sane", () => {
    expect(DEFAULT_BREAKER_LIMITS.repeatThreshold).toBeLessThanOrEqual(DEFAULT_BREAKER_LIMITS.repeatWindow);
    expect(DEFAULT_BREAKER_LIMITS.maxCostUsd).toBeGreaterThan(0);
  });
});
