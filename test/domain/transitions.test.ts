/**
 * Every (status × action) pair: the allowed ones produce the documented task, the others throw
 * a typed error naming the task, its status, and what to do instead.
 */
import { describe, expect, it } from "vitest";
import { ConflictError, InvalidTransitionError, RalphError } from "../../src/domain/errors.js";
import { formatTaskId, parseTaskId, tryParseTaskId } from "../../src/domain/ids.js";
import { TASK_STATUSES, type Task, type TaskStatus } from "../../src/domain/task.js";
import * as T from "../../src/domain/transitions.js";
import { findCycle, validateBatch, validateNewTask } from "../../src/domain/validate.js";

const NOW = Date.parse("2026-01-01T00:00:00.000Z");
const LATER = NOW + 1_000;

function task(status: TaskStatus, extra: Partial<Task> = {}): Task {
  const base = T.createTask("task-007", validateNewTask({ description: "d" }), NOW);
  const started = status === "pending" ? base : { ...base, attempts: 1 };
  return {
    ...started,
    status,
    claimed_by: status === "in_progress" ? "w1" : null,
    lease_expires_at: status === "in_progress" ? new Date(NOW + 60_000).toISOString() : null,
    result: status === "completed" ? "r" : null,
    failure_reason: status === "failed" ? "f" : null,
    ...extra,
  };
}

const ACTIONS: Record<T.Action, (t: Task) => Task> = {
  start: (t) => T.startTask(t, { workerId: "w2", leaseMs: 1_000, now: LATER }),
  complete: (t) => T.completeTask(t, "result", { now: LATER }),
  fail: (t) => T.failTask(t, "reason", { now: LATER }),
  retry: (t) => T.retryTask(t, "feedback", { now: LATER }),
  release: (t) => T.releaseTask(t, { now: LATER }),
  renew_lease: (t) => T.renewLease(t, { now: LATER, workerId: "w1", leaseMs: 5_000 }),
};

describe("transition matrix", () => {
  for (const action of Object.keys(ACTIONS) as T.Action[]) {
    for (const status of TASK_STATUSES) {
      const allowed = T.ALLOWED_FROM[action].includes(status);
      it(`${action} from ${status} is ${allowed ? "allowed" : "refused"}`, () => {
        const before = task(status);
        const frozen = structuredClone(before);
        if (allowed) {
          const after = ACTIONS[action](before);
          expect(after.id).toBe(before.id);
          expect(after.updated_at).toBe(new Date(LATER).toISOString());
        } else {
          let error: unknown;
          try {
            ACTIONS[action](before);
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(InvalidTransitionError);
          const message = (error as Error).message;
          expect(message).toContain("task-007");
          expect(message).toContain(status);
          // The problem as data (each interface words what to do instead), and no interface's words.
          expect((error as InvalidTransitionError).problem).toMatchObject({
            kind: "wrong_status",
            id: "task-007",
            status,
            action,
          });
          expect(message).not.toMatch(/_task|claim_next|ralph-mcp/);
        }
        expect(before).toEqual(frozen); // pure: the input is never changed
      });
    }
  }
});

describe("each allowed transition's result", () => {
  it("start: in_progress, attempts + 1, lease and worker set", () => {
    const t = T.startTask(task("pending"), { workerId: "w9", leaseMs: 30_000, now: LATER });
    expect(t).toMatchObject({
      status: "in_progress",
      attempts: 1,
      claimed_by: "w9",
      started_at: new Date(LATER).toISOString(),
      lease_expires_at: new Date(LATER + 30_000).toISOString(),
    });
  });

  it("start refuses a task with unmet dependencies, naming them", () => {
    expect(() =>
      T.startTask(task("pending"), {
        workerId: "w",
        leaseMs: 1,
        now: LATER,
        unmetDependencies: ["task-001", "task-002"],
      }),
    ).toThrow(/waits for task-001, task-002/);
  });

  it("start refuses a task whose attempts are spent", () => {
    expect(() =>
      T.startTask(task("pending", { attempts: 3 }), { workerId: "w", leaseMs: 1, now: LATER }),
    ).toThrow(/all 3 attempts/);
  });

  it.each(["pending", "in_progress"] as const)(
    "complete from %s stores the result and clears the lease",
    (status) => {
      const t = T.completeTask(task(status), "haiku", { now: LATER });
      expect(t).toMatchObject({
        status: "completed",
        result: "haiku",
        claimed_by: null,
        lease_expires_at: null,
      });
      expect(t.completed_at).toBe(new Date(LATER).toISOString());
    },
  );

  it.each(["pending", "in_progress"] as const)("fail from %s stores the reason", (status) => {
    expect(T.failTask(task(status), "broke", { now: LATER })).toMatchObject({
      status: "failed",
      failure_reason: "broke",
      claimed_by: null,
    });
  });

  it.each(["in_progress", "failed", "completed"] as const)(
    "retry from %s with attempts left → pending",
    (status) => {
      const t = T.retryTask(task(status), "be shorter", { now: LATER, source: "verifier" });
      expect(t).toMatchObject({ status: "pending", result: null, failure_reason: null, claimed_by: null });
      expect(t.feedback).toEqual([
        { text: "be shorter", source: "verifier", attempt: 1, at: new Date(LATER).toISOString() },
      ]);
    },
  );

  it.each(["in_progress", "failed", "completed"] as const)(
    "retry from %s at max attempts → failed",
    (status) => {
      const t = T.retryTask(task(status, { attempts: 3 }), "again", { now: LATER });
      expect(t).toMatchObject({ status: "failed", failure_reason: "Max attempts (3) reached" });
      expect(t.feedback).toHaveLength(1);
    },
  );

  it("retry with empty feedback records none; the default source is user", () => {
    expect(T.retryTask(task("failed"), "  ", { now: LATER }).feedback).toEqual([]);
    expect(T.retryTask(task("failed"), "x", { now: LATER }).feedback[0]?.source).toBe("user");
  });

  it("release gives the attempt back", () => {
    expect(T.releaseTask(task("in_progress"), { now: LATER, note: "cancelled" })).toMatchObject({
      status: "pending",
      attempts: 0,
      feedback: [{ text: "cancelled", source: "system" }],
    });
  });

  it("a worker may not finish a task another worker holds", () => {
    for (const call of [
      () => T.completeTask(task("in_progress"), "r", { now: LATER, workerId: "w2" }),
      () => T.failTask(task("in_progress"), "r", { now: LATER, workerId: "w2" }),
      () => T.retryTask(task("in_progress"), "r", { now: LATER, workerId: "w2" }),
      () => T.releaseTask(task("in_progress"), { now: LATER, workerId: "w2" }),
      () => T.renewLease(task("in_progress"), { now: LATER, workerId: "w2", leaseMs: 1 }),
    ]) {
      expect(call).toThrow(ConflictError);
      expect(call).toThrow(/claimed by w1/);
    }
    expect(T.completeTask(task("in_progress"), "r", { now: LATER, workerId: "w1" }).status).toBe("completed");
  });

  it("requireHeld: a worker's write-back fails unless the task is still in progress under it", () => {
    const mine = { now: LATER, workerId: "w1", requireHeld: true };
    expect(T.completeTask(task("in_progress"), "r", mine).status).toBe("completed");
    for (const status of ["pending", "completed", "failed"] as const) {
      expect(() => T.completeTask(task(status), "r", mine)).toThrow(ConflictError);
      expect(() => T.failTask(task(status), "r", mine)).toThrow(/no longer held by w1/);
      expect(() => T.retryTask(task(status), "r", mine)).toThrow(ConflictError);
    }
    expect(() => T.completeTask(task("in_progress", { claimed_by: "w2" }), "r", mine)).toThrow(
      /claimed by w2/,
    );
    // Without requireHeld a worker may still finish a pending task (the brief's flow).
    expect(T.completeTask(task("pending"), "r", { now: LATER, workerId: "w1" }).status).toBe("completed");
  });

  it("lease expiry: back in line with a note, failed when spent, untouched when not due", () => {
    const held = task("in_progress");
    expect(T.expireLease(held, NOW + 59_999)).toBe(held);
    const back = T.expireLease(held, NOW + 60_000);
    expect(back).toMatchObject({ status: "pending", claimed_by: null, lease_expires_at: null, attempts: 1 });
    expect(back.feedback[0]?.text).toMatch(/w1/);
    const spent = T.expireLease(task("in_progress", { attempts: 3 }), NOW + 60_000);
    expect(spent.status).toBe("failed");
    expect(spent.failure_reason).toMatch(/^Max attempts \(3\) reached/);
    for (const status of ["pending", "completed", "failed"] as const) {
      const t = task(status);
      expect(T.expireLease(t, NOW + 10 ** 9)).toBe(t);
    }
  });

  it.each(TASK_STATUSES)("reset from %s → a fresh pending task", (status) => {
    const t = T.resetTask(
      task(status, { feedback: [{ text: "x", source: "user", attempt: 1, at: "" }] }),
      LATER,
    );
    expect(t).toMatchObject({
      status: "pending",
      attempts: 0,
      result: null,
      failure_reason: null,
      feedback: [],
      started_at: null,
      completed_at: null,
      claimed_by: null,
      lease_expires_at: null,
      description: "d",
    });
  });
});

describe("ids", () => {
  it("formats with at least three digits and parses back", () => {
    expect(formatTaskId(1)).toBe("task-001");
    expect(formatTaskId(1234)).toBe("task-1234");
    expect(parseTaskId("task-042")).toBe(42);
    expect(parseTaskId(" task-1234 ")).toBe(1234);
    expect(tryParseTaskId("task-0")).toBeNull();
    expect(tryParseTaskId("42")).toBeNull();
    expect(() => parseTaskId("banana")).toThrow(/task-001/);
  });
});

describe("validation", () => {
  it("applies defaults and dedupes", () => {
    expect(
      validateNewTask({ description: "x", tags: ["a", "a"], depends_on: ["task-001", "task-001"] }),
    ).toEqual({
      description: "x",
      criteria: null,
      priority: 5,
      max_attempts: 3,
      depends_on: ["task-001"],
      tags: ["a"],
      idempotency_key: null,
      run_at: null,
    });
  });

  it.each([
    [{ description: "" }, /description must not be empty/],
    [{ description: "x".repeat(20_001) }, /at most 20,000/],
    [{ description: 5 }, /description must be a string/],
    [{ description: "x", priority: 0 }, /priority must be from 1/],
    [{ description: "x", priority: 1.5 }, /priority must be a whole number/],
    [{ description: "x", max_attempts: 101 }, /max_attempts must be from 1 to 100/],
    [{ description: "x", tags: Array(21).fill("t") }, /at most 20 tags/],
    [{ description: "x", idempotency_key: "" }, /idempotency_key must not be empty/],
  ])("%j is refused: %s", (input, message) => {
    let error: unknown;
    try {
      validateNewTask(input as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RalphError);
    expect((error as Error).message).toMatch(message);
  });

  it("finds cycles and resolves batch references", () => {
    expect(findCycle([[1], [2], []])).toBeNull();
    expect(findCycle([[1], [2], [0]])).toEqual([0, 1, 2, 0]);
    expect(validateBatch([{ description: "a" }, { description: "b", depends_on: ["#1"] }]).localDeps).toEqual(
      [[], [0]],
    );
    expect(() => validateBatch([{ description: "a", depends_on: ["#0"] }])).toThrow(/#1/);
  });
});
