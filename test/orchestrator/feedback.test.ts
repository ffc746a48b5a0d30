/**
 * Retry with feedback: the verifier's feedback on attempt N reaches attempt N+1's prompt (the brief
 * stored it but never passed it on). A real command executor and a real check command.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildPrompt } from "../../src/orchestrator/prompt.js";
import { RunRegistry } from "../../src/orchestrator/registry.js";
import { sq, testOptions, useStore } from "./helpers.js";

const fixtures = join(import.meta.dirname, "fixtures");
const ctx = useStore();

describe("retry with feedback", () => {
  it("a check that fails attempt 1 with feedback X: attempt 2's prompt contains X and the task completes on attempt 2", async () => {
    const { task } = await ctx.store.create({
      description: "Summarise the report",
      criteria: "Cite every source",
      max_attempts: 3,
    });
    const registry = new RunRegistry({
      store: ctx.store,
      options: testOptions({
        executor: "command",
        executorCommand: `node ${sq(join(fixtures, "agent.mjs"))} ${sq(ctx.dir.path)}`,
        verifier: "command",
        verifierCommand: `node ${sq(join(fixtures, "check.mjs"))} ${sq(ctx.dir.path)}`,
      }),
    });

    const final = await (await registry.start()).done;

    const X = "X-FEEDBACK: the answer must cite its sources";
    const prompt1 = readFileSync(ctx.dir.file(`prompt-${task.id}-1.txt`), "utf8");
    const prompt2 = readFileSync(ctx.dir.file(`prompt-${task.id}-2.txt`), "utf8");
    expect(prompt1).toContain("Summarise the report");
    expect(prompt1).toContain("Cite every source");
    expect(prompt1).not.toContain(X);
    expect(prompt2).toContain(X);
    expect(prompt2).toContain("Summarise the report");
    expect(prompt2).toContain("Cite every source");
    // The check got the result on stdin.
    expect(readFileSync(ctx.dir.file(`checked-${task.id}-1.txt`), "utf8")).toBe(
      `answer to ${task.id} attempt 1`,
    );

    const after = await ctx.store.get(task.id);
    expect(after).toMatchObject({
      status: "completed",
      attempts: 2,
      result: `answer to ${task.id} attempt 2`,
    });
    expect(after.feedback).toHaveLength(1);
    expect(after.feedback[0]).toMatchObject({ source: "verifier", attempt: 1, text: X });
    expect(existsSync(ctx.dir.file(`prompt-${task.id}-3.txt`))).toBe(false);
    expect(final.stats).toMatchObject({ processed: 1, completed: 1, retried: 1, failed: 0, executions: 2 });
    expect(final.stop_code).toBe("queue_empty");
  });

  it("the prompt carries every earlier attempt's feedback, in order, with its source", () => {
    const prompt = buildPrompt(
      {
        id: "task-009",
        description: "Fix the parser",
        criteria: "All tests pass",
        priority: 5,
        max_attempts: 4,
        attempts: 3,
        status: "in_progress",
        result: null,
        failure_reason: null,
        feedback: [
          { text: "Tests fail: test_a", source: "verifier", attempt: 1, at: "" },
          { text: "Use the new tokenizer", source: "user", attempt: 1, at: "" },
          { text: "Tests fail: test_b", source: "verifier", attempt: 2, at: "" },
        ],
        depends_on: [],
        tags: [],
        idempotency_key: null,
        created_at: "",
        started_at: null,
        completed_at: null,
        updated_at: "",
        lease_expires_at: null,
        claimed_by: null,
        not_before: null,
      },
      3,
    );
    expect(prompt).toContain("task-009, attempt 3 of 4");
    expect(prompt).toContain("Fix the parser");
    expect(prompt).toContain("All tests pass");
    const a = prompt.indexOf("Tests fail: test_a");
    const b = prompt.indexOf("Use the new tokenizer");
    const c = prompt.indexOf("Tests fail: test_b");
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(a);
    expect(c).toBeGreaterThan(b);
    expect(prompt).toContain("### Attempt 2 (reviewer)");
    expect(prompt).toContain("### Attempt 1 (user)");
  });
});
