/**
 * The TaskStore contract, written once and run against every store implementation
 * (sqlite.contract.test.ts, postgres.contract.test.ts). A store passes when every case here holds.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { claimOrder, isClaimable } from "../../src/domain/claim.js";
import { RalphError } from "../../src/domain/errors.js";
import type { Task } from "../../src/domain/task.js";
import * as T from "../../src/domain/transitions.js";
import type { ChangeEvent, TaskStore } from "../../src/store/types.js";

export interface StoreHarness {
  store: TaskStore;
  /** Another store object on the same data (another "process" as far as the store can tell). */
  openAnother(): Promise<TaskStore>;
  /** Close everything and drop the data. */
  cleanup(): Promise<void>;
  /**
   * Set a task's attempts behind the store's back (a pending task whose attempts are spent cannot
   * be made through the TaskStore contract itself, only by editing max_attempts or the data).
   */
  setAttempts(id: string, attempts: number): Promise<void>;
}

export type HarnessFactory = () => Promise<StoreHarness>;

/** The error a promise rejects with, asserting it is a RalphError of the given code. */
export async function rejection(promise: Promise<unknown>, code: RalphError["code"]): Promise<RalphError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected a ${code} error, but the call succeeded`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RalphError);
  expect((error as RalphError).code).toBe(code);
  return error as RalphError;
}

export function describeStoreContract(name: string, factory: HarnessFactory): void {
  describe(`TaskStore contract: ${name}`, () => {
    let h: StoreHarness;
    let store: TaskStore;
    const others: TaskStore[] = [];

    beforeEach(async () => {
      h = await factory();
      store = h.store;
    });
    afterEach(async () => {
      for (const other of others.splice(0)) await other.close();
      await h.cleanup();
    });

    const another = async () => {
      const s = await h.openAnother();
      others.push(s);
      return s;
    };
    const add = async (description: string, extra: Record<string, unknown> = {}) =>
      (await store.create({ description, ...extra })).task;
    /** The store's whole state, to show a failed call changed nothing. */
    const snapshot = async () => ({
      stats: await store.stats(),
      tasks: (await store.list({ limit: 500 })).tasks,
    });

    describe("create", () => {
      it("gives sequential short ids and the documented defaults", async () => {
        const a = await add("first");
        const b = await add("second");
        expect(a.id).toBe("task-001");
        expect(b.id).toBe("task-002");
        expect(a).toMatchObject({
          status: "pending",
          priority: 5,
          max_attempts: 3,
          attempts: 0,
          result: null,
          failure_reason: null,
          feedback: [],
          depends_on: [],
          tags: [],
          criteria: null,
          claimed_by: null,
          lease_expires_at: null,
        });
        expect(Date.parse(a.created_at)).not.toBeNaN();
        expect(await store.get("task-001")).toEqual(a);
      });

      it("keeps every field it was given", async () => {
        const dep = await add("dep");
        const t = await add("full", {
          criteria: "it rhymes",
          priority: 1,
          max_attempts: 7,
          tags: ["poem", "mcp"],
          depends_on: [dep.id],
          idempotency_key: "k-1",
        });
        expect(await store.get(t.id)).toMatchObject({
          criteria: "it rhymes",
          priority: 1,
          max_attempts: 7,
          tags: ["poem", "mcp"],
          depends_on: [dep.id],
          idempotency_key: "k-1",
        });
      });

      it("returns the first task for a repeated idempotency key", async () => {
        const first = await store.create({ description: "once", idempotency_key: "same" });
        const second = await store.create({ description: "twice?", idempotency_key: "same" });
        expect(first.created).toBe(true);
        expect(second.created).toBe(false);
        expect(second.task.id).toBe(first.task.id);
        expect(second.task.description).toBe("once");
        expect((await store.stats()).total).toBe(1);
      });

      it("accepts 20,000 characters and rejects 20,001 or an empty description, changing nothing", async () => {
        await add("x".repeat(20_000));
        const before = await snapshot();
        const long = await rejection(store.create({ description: "x".repeat(20_001) }), "invalid_input");
        expect(long.message).toMatch(/20,000/);
        expect((await rejection(store.create({ description: "   " }), "invalid_input")).message).toMatch(
          /empty/,
        );
        expect(await snapshot()).toEqual(before);
      });

      it.each([
        [{ priority: 0 }, /priority/],
        [{ priority: 11 }, /priority/],
        [{ priority: 2.5 }, /priority.*whole/],
        [{ priority: "5" }, /priority/],
        [{ max_attempts: 0 }, /max_attempts/],
        [{ max_attempts: 101 }, /max_attempts/],
        [{ tags: "x" }, /tags/],
        [{ depends_on: ["task-999"] }, /no task task-999/],
        [{ depends_on: ["nonsense"] }, /no task nonsense/],
      ])("rejects %j with a clear message and changes nothing", async (extra, message) => {
        await add("existing");
        const before = await snapshot();
        const error = await rejection(
          store.create({ description: "bad", ...(extra as object) }),
          "invalid_input",
        );
        expect(error.message).toMatch(message);
        expect(await snapshot()).toEqual(before);
      });
    });

    describe("createBatch", () => {
      it("adds all, in order, with #N dependencies resolved to ids", async () => {
        const results = await store.createBatch([
          { description: "design" },
          { description: "build", depends_on: ["#1"] },
          { description: "ship", depends_on: ["#2", "#1"] },
        ]);
        expect(results.map((r) => r.task.id)).toEqual(["task-001", "task-002", "task-003"]);
        expect(results.every((r) => r.created)).toBe(true);
        expect((await store.get("task-003")).depends_on.sort()).toEqual(["task-001", "task-002"]);
        expect((await store.peekNext())?.id).toBe("task-001");
      });

      it("is all or nothing: one bad item adds none", async () => {
        await add("existing");
        const before = await snapshot();
        const error = await rejection(
          store.createBatch([{ description: "ok" }, { description: "bad", priority: 42 }]),
          "invalid_input",
        );
        expect(error.message).toMatch(/tasks\[1\]/);
        await rejection(
          store.createBatch([{ description: "ok" }, { description: "x", depends_on: ["task-404"] }]),
          "invalid_input",
        );
        expect(await snapshot()).toEqual(before);
      });

      it("rejects cycles, self references and references outside the batch", async () => {
        const cycle = await rejection(
          store.createBatch([
            { description: "a", depends_on: ["#3"] },
            { description: "b", depends_on: ["#1"] },
            { description: "c", depends_on: ["#2"] },
          ]),
          "invalid_input",
        );
        expect(cycle.message).toMatch(/cycle/);
        expect(
          (await rejection(store.createBatch([{ description: "a", depends_on: ["#1"] }]), "invalid_input"))
            .message,
        ).toMatch(/itself/);
        expect(
          (await rejection(store.createBatch([{ description: "a", depends_on: ["#2"] }]), "invalid_input"))
            .message,
        ).toMatch(/#1/);
        expect((await store.stats()).total).toBe(0);
      });

      it("rejects an empty batch and one over 500", async () => {
        await rejection(store.createBatch([]), "invalid_input");
        const big = Array.from({ length: 501 }, (_, i) => ({ description: `t${i}` }));
        expect((await rejection(store.createBatch(big), "invalid_input")).message).toMatch(/500/);
      });

      it("adds 500 in one call", async () => {
        const results = await store.createBatch(
          Array.from({ length: 500 }, (_, i) => ({ description: `t${i}` })),
        );
        expect(new Set(results.map((r) => r.task.id)).size).toBe(500);
        expect((await store.stats()).pending).toBe(500);
      });
    });

    describe("get and list", () => {
      it("says which tasks exist when an id is unknown", async () => {
        await add("a");
        await add("b");
        const error = await rejection(store.get("task-042"), "not_found");
        expect(error.message).toMatch(/task-042/);
        expect(error.message).toMatch(/task-001, task-002/);
        expect((await rejection(store.get("banana"), "not_found")).message).toMatch(/banana/);
      });

      it("pages through everything with cursors, with the total on every page", async () => {
        await store.createBatch(Array.from({ length: 7 }, (_, i) => ({ description: `t${i}` })));
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.list({ limit: 3, cursor });
          expect(page.total).toBe(7);
          seen.push(...page.tasks.map((t) => t.id));
          cursor = page.nextCursor ?? undefined;
          pages++;
        } while (cursor);
        expect(pages).toBe(3);
        expect(seen).toEqual([
          "task-001",
          "task-002",
          "task-003",
          "task-004",
          "task-005",
          "task-006",
          "task-007",
        ]);
      });

      it("filters by status", async () => {
        await store.createBatch([{ description: "a" }, { description: "b" }, { description: "c" }]);
        await store.complete("task-002", "done");
        const page = await store.list({ status: "completed" });
        expect(page.tasks.map((t) => t.id)).toEqual(["task-002"]);
        expect(page.total).toBe(1);
        expect((await store.list({ status: "pending" })).total).toBe(2);
      });

      it("rejects bad limits, unknown statuses and bad cursors", async () => {
        await add("a");
        await rejection(store.list({ limit: 0 }), "invalid_input");
        await rejection(store.list({ limit: 501 }), "invalid_input");
        await rejection(store.list({ status: "done" as never }), "invalid_input");
        expect((await rejection(store.list({ cursor: "not-a-cursor" }), "invalid_input")).message).toMatch(
          /cursor/,
        );
        await store.createBatch([{ description: "b" }, { description: "c" }]);
        const page = await store.list({ status: "pending", limit: 1 });
        expect(page.nextCursor).not.toBeNull();
        await rejection(store.list({ cursor: page.nextCursor as string }), "invalid_input");
      });
    });

    describe("next and claim", () => {
      it("takes eligible tasks by priority, then age", async () => {
        await store.createBatch([
          { description: "low", priority: 9 },
          { description: "high-old", priority: 1 },
          { description: "mid", priority: 5 },
          { description: "high-new", priority: 1 },
        ]);
        expect((await store.peekNext())?.id).toBe("task-002");
        const order: string[] = [];
        for (;;) {
          const t = await store.claimNext({ workerId: "w" });
          if (!t) break;
          order.push(t.id);
        }
        expect(order).toEqual(["task-002", "task-004", "task-003", "task-001"]);
      });

      it("skips tasks whose dependencies are not completed, and frees them on completion", async () => {
        const a = await add("a", { priority: 9 });
        const b = await add("b", { priority: 1, depends_on: [a.id] });
        expect((await store.peekNext())?.id).toBe(a.id);
        expect((await store.stats()).blocked).toBe(1);
        const err = await rejection(store.start(b.id, { workerId: "w" }), "invalid_transition");
        expect(err.message).toMatch(/waits for task-001/);
        const claimed = await store.claimNext({ workerId: "w" });
        expect(claimed?.id).toBe(a.id);
        expect(await store.claimNext({ workerId: "w" })).toBeNull();
        await store.complete(a.id, "ok");
        expect((await store.peekNext())?.id).toBe(b.id);
        expect((await store.stats()).blocked).toBe(0);
        // Taking the dependency back out of "completed" blocks its dependent again.
        await store.retry(a.id, "redo");
        expect((await store.peekNext())?.id).toBe(a.id);
        expect((await store.stats()).blocked).toBe(1);
      });

      it("a task may depend on a completed task and is eligible at once", async () => {
        const a = await add("a");
        await store.complete(a.id, "ok");
        const b = await add("b", { depends_on: [a.id] });
        expect((await store.peekNext())?.id).toBe(b.id);
      });

      it("claims atomically: concurrent claims never get the same task", async () => {
        await store.createBatch(Array.from({ length: 20 }, (_, i) => ({ description: `t${i}` })));
        const second = await another();
        const claims = await Promise.all(
          Array.from({ length: 40 }, (_, i) => (i % 2 ? store : second).claimNext({ workerId: `w${i}` })),
        );
        const ids = claims.filter((t): t is Task => t !== null).map((t) => t.id);
        expect(ids).toHaveLength(20);
        expect(new Set(ids).size).toBe(20);
      });

      it("records attempt, start time, worker and lease", async () => {
        await add("a");
        const before = Date.now();
        const t = await store.claimNext({ workerId: "worker-7", leaseMs: 60_000 });
        expect(t).toMatchObject({ status: "in_progress", attempts: 1, claimed_by: "worker-7" });
        const lease = Date.parse(t?.lease_expires_at ?? "");
        expect(lease).toBeGreaterThanOrEqual(before + 60_000 - 5);
        expect(lease).toBeLessThanOrEqual(Date.now() + 60_000 + 5);
        expect(await store.get("task-001")).toEqual(t);
      });

      it("renews a lease only for its holder", async () => {
        await add("a");
        const t = (await store.claimNext({ workerId: "w1", leaseMs: 1_000 })) as Task;
        const renewed = await store.renewLease(t.id, { workerId: "w1", leaseMs: 120_000 });
        expect(Date.parse(renewed.lease_expires_at ?? "")).toBeGreaterThan(
          Date.parse(t.lease_expires_at ?? ""),
        );
        await rejection(store.renewLease(t.id, { workerId: "w2", leaseMs: 1_000 }), "conflict");
      });
    });

    describe("transitions", () => {
      it("start → complete, with the result kept", async () => {
        const t = await add("a");
        const started = await store.start(t.id, { workerId: "me" });
        expect(started).toMatchObject({ status: "in_progress", attempts: 1 });
        const done = await store.complete(t.id, "the haiku");
        expect(done).toMatchObject({
          status: "completed",
          result: "the haiku",
          claimed_by: null,
          lease_expires_at: null,
        });
        expect(done.completed_at).not.toBeNull();
      });

      it("completes straight from pending (the brief's flow) and fails from pending", async () => {
        await store.createBatch([{ description: "a" }, { description: "b" }]);
        expect((await store.complete("task-001", "r")).status).toBe("completed");
        expect(await store.fail("task-002", "no")).toMatchObject({ status: "failed", failure_reason: "no" });
      });

      it.each([
        ["start", "completed", /completed/],
        ["start", "in_progress", /in_progress/],
        ["complete", "completed", /already completed/],
        ["complete", "failed", /is failed/],
        ["fail", "failed", /already failed/],
        ["fail", "completed", /completed/],
        ["retry", "pending", /pending/],
        ["release", "pending", /pending/],
      ] as const)(
        "refuses %s from %s, naming the status, and changes nothing",
        async (action, from, message) => {
          const t = await add("a");
          if (from === "completed") await store.complete(t.id, "r");
          if (from === "failed") await store.fail(t.id, "r");
          if (from === "in_progress") await store.start(t.id, { workerId: "w" });
          const before = await snapshot();
          const call = {
            start: () => store.start(t.id, { workerId: "w2" }),
            complete: () => store.complete(t.id, "again"),
            fail: () => store.fail(t.id, "again"),
            retry: () => store.retry(t.id, "again"),
            release: () => store.release(t.id),
          }[action];
          const error = await rejection(call(), "invalid_transition");
          expect(error.message).toContain(t.id);
          expect(error.message).toMatch(message);
          // The problem as data, for each interface to word in its own terms.
          expect(error.problem).toMatchObject({ kind: "wrong_status", id: t.id, action, status: from });
          expect(await snapshot()).toEqual(before);
        },
      );

      it("unknown ids are not_found for every single-task operation", async () => {
        await add("a");
        await rejection(store.start("task-404", { workerId: "w" }), "not_found");
        await rejection(store.complete("task-404", "r"), "not_found");
        await rejection(store.fail("task-404", "r"), "not_found");
        await rejection(store.retry("task-404", "r"), "not_found");
        await rejection(store.release("task-404"), "not_found");
      });

      it("retry keeps every feedback with its source and attempt, then fails at max attempts", async () => {
        const t = await add("a", { max_attempts: 2 });
        await store.claimNext({ workerId: "w" });
        const r1 = await store.retry(t.id, "use fewer syllables", { source: "verifier" });
        expect(r1).toMatchObject({ status: "pending", attempts: 1 });
        await store.claimNext({ workerId: "w" });
        const r2 = await store.retry(t.id, "still too long");
        expect(r2.status).toBe("failed");
        expect(r2.failure_reason).toBe("Max attempts (2) reached");
        expect(r2.feedback.map((f) => [f.text, f.source, f.attempt])).toEqual([
          ["use fewer syllables", "verifier", 1],
          ["still too long", "user", 2],
        ]);
      });

      it("retry from completed or failed queues the task again; empty feedback adds none", async () => {
        await store.createBatch([{ description: "a" }, { description: "b" }]);
        await store.start("task-001", { workerId: "w" });
        await store.complete("task-001", "r");
        await store.start("task-002", { workerId: "w" });
        await store.fail("task-002", "broke");
        const a = await store.retry("task-001", "");
        const b = await store.retry("task-002", "try again");
        expect(a).toMatchObject({ status: "pending", result: null, feedback: [] });
        expect(b).toMatchObject({ status: "pending", failure_reason: null });
        expect(b.feedback).toHaveLength(1);
      });

      it("a worker cannot finish a task another worker holds", async () => {
        await add("a");
        await store.claimNext({ workerId: "w1" });
        const error = await rejection(store.complete("task-001", "r", { workerId: "w2" }), "conflict");
        expect(error.message).toMatch(/w1/);
        await rejection(store.fail("task-001", "r", { workerId: "w2" }), "conflict");
        expect((await store.complete("task-001", "r", { workerId: "w1" })).status).toBe("completed");
      });

      it("a write-back that requires holding the task never overrides what was decided meanwhile", async () => {
        await store.createBatch([{ description: "a" }, { description: "b" }, { description: "c" }]);
        const held = { workerId: "run-1", requireHeld: true } as const;
        for (let i = 0; i < 3; i++) await store.claimNext({ workerId: "run-1" });
        const other = await another();
        // A person completes task-001, fails task-002 and resets everything while the run works.
        await other.complete("task-001", "done by a person");
        await other.fail("task-002", "not needed");
        const e1 = await rejection(store.retry("task-001", "verifier says no", held), "conflict");
        expect(e1.message).toMatch(/no longer held by run-1.*completed/);
        await rejection(store.complete("task-001", "run result", held), "conflict");
        await rejection(store.fail("task-002", "run failure", held), "conflict");
        await rejection(store.retry("task-002", "again", held), "conflict");
        expect(await store.get("task-001")).toMatchObject({
          status: "completed",
          result: "done by a person",
        });
        expect(await store.get("task-002")).toMatchObject({ status: "failed", failure_reason: "not needed" });
        await other.resetAll();
        await rejection(store.fail("task-003", "run failure", held), "conflict");
        await rejection(store.release("task-003", held), "conflict");
        expect(await store.get("task-003")).toMatchObject({ status: "pending", attempts: 0 });
        // Still held: the write-back goes through.
        await store.claimNext({ workerId: "run-1" });
        expect((await store.complete("task-001", "ok", held)).status).toBe("completed");
      });

      it("release gives the attempt back and leaves a note", async () => {
        await add("a");
        await store.claimNext({ workerId: "w1" });
        const t = await store.release("task-001", { workerId: "w1", note: "run cancelled" });
        expect(t).toMatchObject({ status: "pending", attempts: 0, claimed_by: null });
        expect(t.feedback.at(-1)).toMatchObject({ text: "run cancelled", source: "system" });
      });

      it("completeBatch is all or nothing", async () => {
        await store.createBatch([{ description: "a" }, { description: "b" }, { description: "c" }]);
        await store.fail("task-003", "x");
        const before = await snapshot();
        await rejection(store.completeBatch(["task-001", "task-404"], "r"), "not_found");
        await rejection(store.completeBatch(["task-001", "task-003"], "r"), "invalid_transition");
        await rejection(store.completeBatch(["task-001", "task-001"], "r"), "invalid_input");
        expect(await snapshot()).toEqual(before);
        const done = await store.completeBatch(["task-001", "task-002"], "same");
        expect(done.map((t) => t.status)).toEqual(["completed", "completed"]);
      });
    });

    describe("leases", () => {
      it("an expired lease puts the task back in line with a note", async () => {
        await add("a");
        await store.claimNext({ workerId: "dead-worker", leaseMs: 30 });
        await vi.waitFor(
          async () => {
            const expired = await store.expireLeases();
            expect(expired.map((t) => t.id)).toEqual(["task-001"]);
          },
          { timeout: 5_000, interval: 20 },
        );
        const t = await store.get("task-001");
        expect(t).toMatchObject({ status: "pending", attempts: 1, claimed_by: null, lease_expires_at: null });
        expect(t.feedback.at(-1)?.text).toMatch(/dead-worker/);
      });

      it("an expired lease on the last attempt fails the task", async () => {
        await add("a", { max_attempts: 1 });
        await store.claimNext({ workerId: "dead-worker", leaseMs: 30 });
        await vi.waitFor(async () => expect(await store.expireLeases()).toHaveLength(1), {
          timeout: 5_000,
          interval: 20,
        });
        const t = await store.get("task-001");
        expect(t.status).toBe("failed");
        expect(t.failure_reason).toMatch(/Max attempts \(1\) reached/);
      });

      it("a claim takes over a task whose lease expired", async () => {
        await add("a");
        await store.claimNext({ workerId: "dead-worker", leaseMs: 30 });
        const taken = await vi.waitFor(
          async () => {
            const t = await store.claimNext({ workerId: "live-worker" });
            expect(t).not.toBeNull();
            return t as Task;
          },
          { timeout: 5_000, interval: 20 },
        );
        expect(taken).toMatchObject({ id: "task-001", attempts: 2, claimed_by: "live-worker" });
        await rejection(store.complete("task-001", "late", { workerId: "dead-worker" }), "conflict");
      });
    });

    describe("bulk operations and stats", () => {
      it("reports counts, rates and average attempts", async () => {
        expect(await store.stats()).toMatchObject({
          total: 0,
          completion_rate: 0,
          failure_rate: 0,
          average_attempts: 0,
        });
        await store.createBatch([
          { description: "a" },
          { description: "b" },
          { description: "c" },
          { description: "d" },
        ]);
        await store.claimNext({ workerId: "w" });
        await store.complete("task-001", "ok");
        await store.claimNext({ workerId: "w" });
        await store.fail("task-002", "no");
        await store.claimNext({ workerId: "w" });
        expect(await store.stats()).toEqual({
          total: 4,
          pending: 1,
          in_progress: 1,
          completed: 1,
          failed: 1,
          blocked: 0,
          completion_rate: 0.25,
          failure_rate: 0.25,
          average_attempts: 0.75,
        });
      });

      it("clearCompleted deletes completed tasks only, and their dependents stay eligible", async () => {
        const a = await add("a");
        await add("b", { depends_on: [a.id] });
        await add("c");
        await store.complete(a.id, "ok");
        expect(await store.clearCompleted()).toBe(1);
        expect(await store.clearCompleted()).toBe(0);
        await rejection(store.get(a.id), "not_found");
        expect((await store.peekNext())?.id).toBe("task-002");
        // Ids are never reused after a delete.
        expect((await add("d")).id).toBe("task-004");
        // After a reset the deleted dependency still counts as satisfied.
        await store.resetAll();
        expect((await store.peekNext())?.id).toBe("task-002");
      });

      it("resetAll puts every task back to a fresh pending, dependencies blocking again", async () => {
        const a = await add("a");
        await add("b", { depends_on: [a.id] });
        await store.claimNext({ workerId: "w" });
        await store.complete(a.id, "ok");
        await store.claimNext({ workerId: "w" });
        await store.retry("task-002", "feedback");
        expect(await store.resetAll()).toBe(2);
        const tasks = (await store.list()).tasks;
        for (const t of tasks) {
          expect(t).toMatchObject({
            status: "pending",
            attempts: 0,
            result: null,
            feedback: [],
            claimed_by: null,
          });
        }
        expect(await store.stats()).toMatchObject({ pending: 2, blocked: 1, average_attempts: 0 });
        expect((await store.peekNext())?.id).toBe(a.id);
      });

      it("completes ids by prefix, newest first", async () => {
        await store.createBatch(Array.from({ length: 12 }, (_, i) => ({ description: `t${i}` })));
        expect(await store.completeIds("task-01")).toEqual(["task-012", "task-011", "task-010"]);
        expect(await store.completeIds("task-", 2)).toEqual(["task-012", "task-011"]);
        expect(await store.completeIds("nope")).toEqual([]);
      });
    });

    describe("edit by hand: update, delete, reset one, import, queue order", () => {
      it("updates a pending task's fields and dependencies, keeping the unmet count right", async () => {
        const a = await add("a");
        const b = await add("b");
        const t = await add("t", { depends_on: [a.id] });
        const after = await store.update(t.id, {
          description: "t, better",
          priority: 2,
          criteria: "it works",
          tags: ["x"],
          depends_on: [b.id],
        });
        expect(after).toMatchObject({
          description: "t, better",
          priority: 2,
          criteria: "it works",
          tags: ["x"],
          depends_on: [b.id],
        });
        expect(await store.get(t.id)).toEqual(after);
        await store.complete(a.id, "done");
        expect((await store.stats()).blocked).toBe(1); // t waits for b now, not a
        await store.complete(b.id, "done");
        expect((await store.peekNext())?.id).toBe(t.id);
      });

      it("refuses to update a task that is not pending, naming its status, and changes nothing", async () => {
        const t = await add("t");
        await store.complete(t.id, "r");
        const before = await snapshot();
        const error = await rejection(store.update(t.id, { priority: 1 }), "invalid_transition");
        expect(error.problem).toMatchObject({ kind: "wrong_status", action: "update", status: "completed" });
        expect(await snapshot()).toEqual(before);
      });

      it("refuses a dependency cycle, an unknown dependency and an empty patch", async () => {
        const a = await add("a");
        const b = await add("b", { depends_on: [a.id] });
        expect(
          (await rejection(store.update(a.id, { depends_on: [b.id] }), "invalid_input")).problem,
        ).toMatchObject({
          field: "depends_on",
        });
        expect(
          (await rejection(store.update(a.id, { depends_on: ["task-404"] }), "invalid_input")).problem,
        ).toMatchObject({
          kind: "unknown_dependency",
          dep: "task-404",
        });
        await rejection(store.update(a.id, {}), "invalid_input");
        expect((await store.get(a.id)).depends_on).toEqual([]);
      });

      it("deletes a task; a dependent no longer waits; an in-progress one only with force", async () => {
        const a = await add("a");
        const t = await add("t", { depends_on: [a.id] });
        expect((await store.stats()).blocked).toBe(1);
        expect((await store.delete(a.id)).id).toBe(a.id);
        await rejection(store.get(a.id), "not_found");
        expect((await store.stats()).blocked).toBe(0);
        await store.start(t.id, { workerId: "w" });
        const refused = await rejection(store.delete(t.id), "invalid_transition");
        expect(refused.problem).toMatchObject({
          kind: "wrong_status",
          action: "delete",
          status: "in_progress",
        });
        await store.delete(t.id, { force: true });
        expect((await store.stats()).total).toBe(0);
        await rejection(store.delete("task-999"), "not_found");
      });

      it("resets one task to a fresh pending", async () => {
        const t = await add("t");
        await store.start(t.id, { workerId: "w" });
        await store.retry(t.id, "again");
        await store.fail(t.id, "no");
        const after = await store.reset(t.id);
        expect(after).toMatchObject({ status: "pending", attempts: 0, feedback: [], failure_reason: null });
        expect(await store.get(t.id)).toEqual(after);
      });

      it("lists in queue order: in progress, ready by priority, blocked, failed, completed", async () => {
        const low = await add("low", { priority: 9 });
        const high = await add("high", { priority: 1 });
        const blocked = await add("blocked", { priority: 1, depends_on: [low.id] });
        const running = await add("running");
        const failed = await add("failed");
        const done = await add("done");
        await store.start(running.id, { workerId: "w" });
        await store.fail(failed.id, "no");
        await store.complete(done.id, "r");
        const first = await store.list({ order: "queue", limit: 4 });
        expect(first.tasks.map((t) => t.id)).toEqual([running.id, high.id, low.id, blocked.id]);
        expect(first.total).toBe(6);
        const rest = await store.list({ order: "queue", limit: 4, cursor: first.nextCursor ?? "" });
        expect(rest.tasks.map((t) => t.id)).toEqual([failed.id, done.id]);
        expect(rest.nextCursor).toBeNull();
        await rejection(store.list({ cursor: first.nextCursor ?? "" }), "invalid_input");
      });

      it("imports exported tasks whole: ids, statuses, feedback and dependencies; the same task only once", async () => {
        const { validateImport } = await import("../../src/domain/import.js");
        const a = await add("a", { idempotency_key: "ka" });
        await store.start(a.id, { workerId: "w" });
        await store.retry(a.id, "do better");
        const b = await add("b", { depends_on: [a.id], tags: ["t"] });
        await store.complete(a.id, "fine");
        const exported = (await store.list({ limit: 500 })).tasks;
        const other = await another();
        // The same export again: a by its key, b (no key) by its id, created_at and description.
        const twice = await store.importTasks(validateImport(exported));
        expect(twice).toEqual({
          created: [],
          existing: [
            { row: 1, id: a.id },
            { row: 2, id: b.id },
          ],
          ids: { [a.id]: a.id, [b.id]: b.id },
        });
        // b's id taken by another task (an edited description): it is added under a new id.
        const edited = exported.map((t) => (t.id === b.id ? { ...t, description: "b, edited" } : t));
        const again = await store.importTasks(validateImport(edited));
        expect(again.existing).toEqual([{ row: 1, id: a.id }]);
        expect(again.created).toHaveLength(1);
        const copy = again.created[0] as Task;
        expect(copy.id).not.toBe(b.id);
        expect(copy).toMatchObject({
          description: "b, edited",
          depends_on: [a.id],
          tags: ["t"],
          status: "pending",
        });
        expect(again.ids).toEqual({ [a.id]: a.id, [b.id]: copy.id });
        expect((await other.stats()).total).toBe(3);
        const next = await add("after the import");
        expect(next.id).toBe("task-004");
      });

      it("imports into an empty store keeping the ids; a bad dependency adds nothing and names the row", async () => {
        const { validateImport } = await import("../../src/domain/import.js");
        const rows = [
          {
            id: "task-007",
            description: "seven",
            status: "completed",
            attempts: 1,
            result: "ok",
            feedback: [{ text: "f", source: "verifier", attempt: 1, at: "2026-01-01T00:00:00.000Z" }],
          },
          { id: "task-003", description: "three", depends_on: ["task-007"] },
        ];
        const result = await store.importTasks(validateImport(rows));
        expect(result.created.map((t) => t.id)).toEqual(["task-007", "task-003"]);
        expect(await store.get("task-007")).toMatchObject({
          status: "completed",
          attempts: 1,
          result: "ok",
          feedback: [{ text: "f", source: "verifier", attempt: 1 }],
        });
        expect((await store.peekNext())?.id).toBe("task-003"); // its dependency is completed
        expect((await add("new")).id).toBe("task-008");
        const before = await snapshot();
        const bad = await rejection(
          store.importTasks(
            validateImport([{ description: "ok" }, { description: "bad", depends_on: ["task-404"] }]),
          ),
          "invalid_input",
        );
        expect(bad.problem).toMatchObject({ kind: "unknown_dependency", item: 1, dep: "task-404" });
        expect(await snapshot()).toEqual(before);
      });
    });

    describe("durability and change feed", () => {
      it("what was acknowledged is there for another store object", async () => {
        await store.createBatch([{ description: "a" }, { description: "b" }]);
        await store.complete("task-002", "kept");
        const other = await another();
        expect((await other.get("task-002")).result).toBe("kept");
        expect((await other.stats()).total).toBe(2);
      });

      it("reports its own changes at once", async () => {
        const events: ChangeEvent[] = [];
        const off = store.onChange((e) => events.push(e));
        await add("a");
        await store.complete("task-001", "r");
        off();
        await add("b");
        expect(events.map((e) => [e.kind, e.taskIds, e.remote])).toEqual([
          ["created", ["task-001"], false],
          ["updated", ["task-001"], false],
        ]);
      });

      it("reports changes made through another store object within a second", async () => {
        const other = await another();
        const events: ChangeEvent[] = [];
        store.onChange((e) => events.push(e));
        const started = Date.now();
        await other.create({ description: "from elsewhere" });
        await vi.waitFor(() => expect(events.some((e) => e.kind === "created" && e.remote)).toBe(true), {
          timeout: 1_000,
          interval: 10,
        });
        expect(Date.now() - started).toBeLessThan(1_000);
        const created = events.find((e) => e.kind === "created");
        expect(created?.taskIds).toEqual(["task-001"]);
        await other.complete("task-001", "done elsewhere");
        await vi.waitFor(
          () =>
            expect(events.some((e) => e.kind === "updated" && e.taskIds?.includes("task-001"))).toBe(true),
          { timeout: 1_000, interval: 10 },
        );
        await other.resetAll();
        await vi.waitFor(
          () => expect(events.some((e) => e.kind === "reset" && e.taskIds === null)).toBe(true),
          {
            timeout: 1_000,
            interval: 10,
          },
        );
      });
    });

    describe("the domain's rules, field by field (src/domain/claim.ts, transitions.ts)", () => {
      const lease = { workerId: "w", leaseMs: 60_000 };
      /** The time a store took for a change: what it wrote as updated_at. */
      const at = (t: Task) => Date.parse(t.updated_at);
      /** The store's result is the domain's transition of the task before, and it is what is stored. */
      const holds = async (after: Task | null | undefined, expected: (after: Task) => Task) => {
        expect(after).toBeTruthy();
        expect(after).toEqual(expected(after as Task));
        expect(await store.get((after as Task).id)).toEqual(after);
      };
      /** The same refusal (code and message) from the store as from the domain. */
      const refuses = async (call: Promise<unknown>, domain: () => unknown) => {
        let expected: unknown;
        try {
          domain();
        } catch (error) {
          expected = error;
        }
        expect(expected).toBeInstanceOf(RalphError);
        const got = await rejection(call, (expected as RalphError).code);
        expect(got.message).toBe((expected as RalphError).message);
      };
      const claimed = async (description: string, extra: Record<string, unknown> = {}) => {
        await add(description, extra);
        return (await store.claimNext(lease)) as Task;
      };

      it("claim and start", async () => {
        const a = await add("a");
        const b = await add("b");
        await holds(await store.claimNext(lease), (after) => T.startTask(a, { ...lease, now: at(after) }));
        await holds(await store.start(b.id, lease), (after) => T.startTask(b, { ...lease, now: at(after) }));
      });

      it("claims made together (one statement on PostgreSQL)", async () => {
        const before = (
          await store.createBatch([{ description: "a" }, { description: "b" }, { description: "c" }])
        ).map((r) => r.task);
        const claims = await Promise.all(before.map(() => store.claimNext(lease)));
        for (const after of claims) {
          const was = before.find((t) => t.id === after?.id) as Task;
          await holds(after, (a) => T.startTask(was, { ...lease, now: at(a) }));
        }
      });

      it("complete: by its holder, from pending, with a dependent, in a batch", async () => {
        const held = await claimed("held");
        const opts = { workerId: "w", requireHeld: true };
        await holds(await store.complete(held.id, "r1", opts), (after) =>
          T.completeTask(held, "r1", { ...opts, now: at(after) }),
        );
        const pending = await add("pending");
        await holds(await store.complete(pending.id, "r2"), (after) =>
          T.completeTask(pending, "r2", { now: at(after) }),
        );
        const dep = await add("dep");
        const dependent = await add("dependent", { depends_on: [dep.id] });
        await holds(await store.complete(dep.id, "r3"), (after) =>
          T.completeTask(dep, "r3", { now: at(after) }),
        );
        expect((await store.peekNext())?.id).toBe(dependent.id);
        const [x, y] = [await add("x"), await add("y")];
        const done = await store.completeBatch([x.id, y.id], "r4");
        await holds(done[0], (after) => T.completeTask(x, "r4", { now: at(after) }));
        await holds(done[1], (after) => T.completeTask(y, "r4", { now: at(after) }));
      });

      it("fail, retry, retry at max attempts, release, renew", async () => {
        const a = await claimed("a", { max_attempts: 2 });
        await holds(await store.fail(a.id, "broke", { workerId: "w" }), (after) =>
          T.failTask(a, "broke", { workerId: "w", now: at(after) }),
        );
        const failed = await store.get(a.id);
        await holds(await store.retry(a.id, "try again", { source: "verifier" }), (after) =>
          T.retryTask(failed, "try again", { source: "verifier", now: at(after) }),
        );
        const second = (await store.claimNext(lease)) as Task;
        await holds(await store.retry(second.id, "no luck", { workerId: "w" }), (after) =>
          T.retryTask(second, "no luck", { workerId: "w", now: at(after) }),
        );
        expect((await store.get(a.id)).status).toBe("failed");
        const b = await claimed("b");
        await holds(await store.renewLease(b.id, { workerId: "w", leaseMs: 120_000 }), (after) =>
          T.renewLease(b, { workerId: "w", leaseMs: 120_000, now: at(after) }),
        );
        const renewed = await store.get(b.id);
        await holds(await store.release(b.id, { workerId: "w", note: "cancelled" }), (after) =>
          T.releaseTask(renewed, { workerId: "w", note: "cancelled", now: at(after) }),
        );
      });

      it("lease expiry: back in line, or failed on the last attempt", async () => {
        await add("a");
        await add("b", { max_attempts: 1 });
        const held = await Promise.all([
          store.claimNext({ workerId: "dead", leaseMs: 30 }),
          store.claimNext({ workerId: "dead", leaseMs: 30 }),
        ]);
        // One call may find one lease ended and the next call the other: gather until both.
        const found = new Map<string, Task>();
        await vi.waitFor(
          async () => {
            for (const t of await store.expireLeases()) found.set(t.id, t);
            expect(found.size).toBe(2);
          },
          { timeout: 5_000, interval: 20 },
        );
        const expired = [...found.values()];
        for (const after of expired) {
          const was = held.find((t) => t?.id === after.id) as Task;
          await holds(after, (a) => T.expireLease(was, at(a)));
        }
        expect(expired.map((t) => t.status).sort()).toEqual(["failed", "pending"]);
      });

      it("refuses what the domain refuses, in the domain's words", async () => {
        const done = await add("done");
        await store.complete(done.id, "r");
        const finished = await store.get(done.id);
        await refuses(store.complete(done.id, "again"), () => T.completeTask(finished, "again", { now: 0 }));
        await refuses(store.fail(done.id, "x"), () => T.failTask(finished, "x", { now: 0 }));
        await refuses(store.start(done.id, lease), () => T.startTask(finished, { ...lease, now: 0 }));
        const held = await claimed("held");
        await refuses(store.complete(held.id, "r", { workerId: "other" }), () =>
          T.completeTask(held, "r", { workerId: "other", now: 0 }),
        );
        await refuses(store.complete(held.id, "r", { workerId: "other", requireHeld: true }), () =>
          T.completeTask(held, "r", { workerId: "other", requireHeld: true, now: 0 }),
        );
        await refuses(store.renewLease(held.id, { workerId: "other", leaseMs: 1 }), () =>
          T.renewLease(held, { workerId: "other", leaseMs: 1, now: 0 }),
        );
      });

      it("hands out exactly the tasks the domain calls claimable, in its order", async () => {
        const dep = await add("dep", { priority: 9 });
        await add("blocked", { priority: 1, depends_on: [dep.id] });
        const spent = await add("spent", { priority: 1, max_attempts: 2 });
        await h.setAttempts(spent.id, 2);
        await add("low", { priority: 7 });
        await add("high", { priority: 2 });
        await add("high, newer", { priority: 2 });
        const all = (await store.list({ limit: 500 })).tasks;
        const unmet = (t: Task) =>
          t.depends_on.filter((d) => all.find((x) => x.id === d)?.status !== "completed");
        const expected = all.filter((t) => isClaimable(t, unmet(t).length, Date.now())).sort(claimOrder);
        expect((await store.peekNext())?.id).toBe(expected[0]?.id);
        const order: string[] = [];
        for (let t = await store.claimNext(lease); t; t = await store.claimNext(lease)) order.push(t.id);
        // dep's completion is not part of this: the blocked task stays blocked, the spent one stays put.
        expect(order).toEqual(expected.map((t) => t.id));
        expect((await store.get(spent.id)).status).toBe("pending");
        await refuses(store.start(spent.id, lease), () =>
          T.startTask(all.find((t) => t.id === spent.id) as Task, { ...lease, now: 0 }),
        );
      });

      it("back-off: a task retried with a delay is not claimed nor peeked before its not_before; a claim clears it", async () => {
        const a = await claimed("a");
        const later = await store.retry(a.id, "try again", { workerId: "w", delayMs: 60_000 });
        await holds(later, (after) =>
          T.retryTask(a, "try again", { workerId: "w", delayMs: 60_000, now: at(after) }),
        );
        expect(Date.parse(later.not_before ?? "")).toBe(at(later) + 60_000);
        expect(await store.peekNext()).toBeNull();
        expect(await store.claimNext(lease)).toBeNull();

        const b = await claimed("b");
        const soon = await store.retry(b.id, "again", { workerId: "w", delayMs: 300 });
        expect(await store.claimNext(lease)).toBeNull();
        const due = Date.parse(soon.not_before ?? "");
        await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(due + 20), {
          timeout: 5_000,
          interval: 10,
        });
        const taken = await store.claimNext(lease);
        expect(taken).toMatchObject({ id: b.id, not_before: null, attempts: 2 });
        expect(await store.get(a.id)).toMatchObject({ status: "pending", not_before: later.not_before });
        // A retry without a delay (a person's retry_task) is eligible at once.
        expect((await store.retry(b.id, "", { workerId: "w" })).not_before).toBeNull();
      });

      it("run_at: a task added to run later is not claimed before then; one whose time has passed is", async () => {
        const later = new Date(Date.now() + 60_000).toISOString();
        const { task: waits } = await store.create({ description: "later", run_at: later, priority: 1 });
        expect(waits.not_before).toBe(later);
        expect(await store.get(waits.id)).toEqual(waits);
        const { task: due } = await store.create({ description: "due", run_at: "2020-01-01T00:00:00Z" });
        expect(due.not_before).toBe("2020-01-01T00:00:00.000Z");
        const batched = await store.createBatch([
          { description: "batched later", run_at: later },
          { description: "after it", depends_on: ["#1"], run_at: later },
        ]);
        expect(batched.map((r) => r.task.not_before)).toEqual([later, later]);
        expect((await store.get(batched[1]?.task.id as string)).not_before).toBe(later);
        expect((await store.claimNext(lease))?.id).toBe(due.id);
        expect(await store.claimNext(lease)).toBeNull();
        await rejection(store.create({ description: "bad", run_at: "tomorrow" }), "invalid_input");
      });

      it("a claim that finds nothing eligible first recovers expired leases", async () => {
        await add("a");
        await store.claimNext(lease); // the claim that recovers leases now and then has run
        await add("b");
        const b = (await store.claimNext({ workerId: "dead", leaseMs: 30 })) as Task;
        const end = Date.parse(b.lease_expires_at ?? "");
        await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(end + 50), {
          timeout: 5_000,
          interval: 10,
        });
        // Within a second of the last recovery: only the empty claim's own recovery can find it.
        const taken = await store.claimNext({ workerId: "live" });
        expect(taken).toMatchObject({ id: b.id, attempts: 2, claimed_by: "live" });
      });
    });
  });
}
