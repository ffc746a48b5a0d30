/**
 * The anthropic executor and judge against a stand-in Messages API on 127.0.0.1, with the official
 * SDK pointed at it through ANTHROPIC_BASE_URL (read by our config from the environment).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Run } from "../../src/domain/run.js";
import { loadOrchestratorOptions } from "../../src/orchestrator/config.js";
import { RunRegistry } from "../../src/orchestrator/registry.js";
import type { SqliteTaskStore } from "../../src/store/sqlite/store.js";
import { makeDir, makeStore, type TestDir } from "./helpers.js";
import { apiError, StandInAnthropic, textMessage, toolUseMessage } from "./stand-in-anthropic.js";

const api = new StandInAnthropic();
let dir: TestDir;
let store: SqliteTaskStore;

beforeAll(async () => {
  await api.start();
});
afterAll(async () => {
  await api.stop();
});
beforeEach(() => {
  dir = makeDir();
  store = makeStore(dir);
  api.requests.length = 0;
  api.respond = (request) => textMessage(request, "stand-in answer");
});
afterEach(async () => {
  await store.close();
  dir.cleanup();
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    RALPH_EXECUTOR: "anthropic",
    RALPH_MODEL: "claude-haiku-4-5",
    ANTHROPIC_API_KEY: "sk-ant-stand-in",
    ANTHROPIC_BASE_URL: api.url,
    ...extra,
  };
}

async function run(extraEnv: Record<string, string> = {}, maxTasks = 10): Promise<Run> {
  const registry = new RunRegistry({
    store,
    options: () =>
      loadOrchestratorOptions({
        env: env(extraEnv),
        overrides: { apiMaxRetries: 1, heartbeatMs: 50, breaker: { cooldownMs: 0 } },
      }),
  });
  const handle = await registry.start({ maxTasks });
  return handle.done;
}

/** The text of the user message the SDK sent. */
function prompt(index: number): string {
  const messages = api.requests[index]?.body.messages as Array<{ content: string }>;
  return messages[0]?.content ?? "";
}

describe("anthropic executor", () => {
  it("stores the results, uses the configured model, counts tokens and cost", async () => {
    const a = await store.create({ description: "Write a haiku about MCP", criteria: "Three lines" });
    const b = await store.create({ description: "Write a limerick about queues" });
    api.respond = (request) => {
      const text = (request.body.messages as Array<{ content: string }>)[0]?.content ?? "";
      const id = /task-\d+/.exec(text)?.[0];
      return textMessage(request, `result of ${id}`, { input_tokens: 1000, output_tokens: 500 });
    };

    const final = await run();

    expect(final.status).toBe("finished");
    expect(final.stop_code).toBe("queue_empty");
    expect(api.requests).toHaveLength(2);
    for (const request of api.requests) {
      expect(request.body.model).toBe("claude-haiku-4-5");
      // The configured key is sent (this SDK line sends it as a bearer token; older ones as x-api-key).
      const key = request.headers["x-api-key"] ?? request.headers.authorization?.replace(/^Bearer /, "");
      expect(key).toBe("sk-ant-stand-in");
      expect(request.headers["anthropic-version"]).toBeTruthy();
    }
    expect(prompt(0)).toContain("Write a haiku about MCP");
    expect(prompt(0)).toContain("Three lines");
    expect((await store.get(a.task.id)).result).toBe(`result of ${a.task.id}`);
    expect((await store.get(b.task.id)).status).toBe("completed");
    expect(final.stats).toMatchObject({
      processed: 2,
      completed: 2,
      failed: 0,
      retried: 0,
      executions: 2,
      tokens: { input: 2000, output: 1000 },
    });
    // claude-haiku-4-5: $1 / $5 per million tokens.
    expect(final.stats.cost_usd).toBeCloseTo(0.002 + 0.005, 9);
    expect(final.settings).toMatchObject({ executor: "anthropic", model: "claude-haiku-4-5" });
    // The run is kept in the store with the same stats.
    expect(await store.runs.get(final.id)).toMatchObject({ status: "finished", stats: final.stats });
  });

  it("a 500 (after the SDK's retries) is a failed attempt with a clear reason", async () => {
    const { task } = await store.create({ description: "Anything", max_attempts: 1 });
    api.respond = () => apiError(500, "api_error", "Internal server error", { "retry-after-ms": "1" });

    const final = await run();

    expect(api.requests).toHaveLength(2); // one try and apiMaxRetries = 1 retry: the SDK's retries are on
    const after = await store.get(task.id);
    expect(after.status).toBe("failed");
    expect(after.feedback.at(-1)?.text).toBe(
      "Attempt 1 failed: The Anthropic API failed with 500 api_error (after 1 retry): Internal server error.",
    );
    expect(final.stats).toMatchObject({ failed: 1, completed: 0, executions: 1 });
  });

  it("a 429 is a failed attempt naming the rate limit; the next attempt sees it and succeeds", async () => {
    const { task } = await store.create({ description: "Anything", max_attempts: 2 });
    api.respond = (request, index) =>
      index < 2
        ? apiError(429, "rate_limit_error", "Number of request tokens has exceeded your rate limit", {
            "retry-after-ms": "1",
          })
        : textMessage(request, "done at last");

    const final = await run();

    expect(api.requests).toHaveLength(3);
    const after = await store.get(task.id);
    expect(after).toMatchObject({ status: "completed", attempts: 2, result: "done at last" });
    const reason =
      "The Anthropic API is rate limiting requests (429) (after 1 retry): Number of request tokens has exceeded your rate limit.";
    expect(after.feedback[0]).toMatchObject({
      attempt: 1,
      source: "system",
      text: `Attempt 1 failed: ${reason}`,
    });
    expect(prompt(2)).toContain(reason);
    expect(final.stats).toMatchObject({ completed: 1, retried: 1, executions: 2 });
  });

  it("an answer that is not JSON is a failed attempt with a clear reason", async () => {
    const { task } = await store.create({ description: "Anything", max_attempts: 1 });
    api.respond = () => ({ body: "<html>502 Bad Gateway</html>" });

    await run();

    const after = await store.get(task.id);
    expect(after.status).toBe("failed");
    expect(after.feedback.at(-1)?.text).toMatch(
      /^Attempt 1 failed: The Anthropic API at .* sent a malformed answer/,
    );
  });

  it("a JSON answer without content is a failed attempt with a clear reason", async () => {
    const { task } = await store.create({ description: "Anything", max_attempts: 1 });
    api.respond = () => ({ body: { type: "message", role: "assistant", model: "claude-haiku-4-5" } });

    await run();

    const after = await store.get(task.id);
    expect(after.status).toBe("failed");
    expect(after.feedback.at(-1)?.text).toBe(
      `Attempt 1 failed: The Anthropic API at ${api.url} sent a malformed answer: the answer has no content array.`,
    );
  });

  it("an answer with no text is a failed attempt", async () => {
    const { task } = await store.create({ description: "Anything", max_attempts: 1 });
    api.respond = (request) => textMessage(request, "   ");

    await run();

    expect((await store.get(task.id)).feedback.at(-1)?.text).toBe(
      "Attempt 1 failed: The model answered with no text.",
    );
  });
});

describe("anthropic judge (structured output through a forced tool call)", () => {
  function judgeAnswers(verdicts: unknown[]) {
    let judged = 0;
    api.respond = (request, index) => {
      if (request.body.tools) return toolUseMessage(request, "record_verdict", verdicts[judged++]);
      return textMessage(request, `draft ${index}`);
    };
  }

  it("a failed verdict's feedback and issues reach the next attempt; a pass completes the task", async () => {
    const { task } = await store.create({ description: "A poem about the sea", criteria: "Mentions waves" });
    judgeAnswers([
      {
        passed: false,
        confidence: 0.9,
        feedback: "Mention the waves explicitly.",
        issues: ["no waves", "too short"],
      },
      { passed: true, confidence: 0.95, feedback: "Good.", issues: [] },
    ]);

    const final = await run({ RALPH_VERIFIER: "anthropic" });

    const judge = api.requests[1]?.body;
    expect(judge?.tool_choice).toEqual({ type: "tool", name: "record_verdict" });
    expect(judge?.tools).toMatchObject([{ name: "record_verdict" }]);
    expect(JSON.stringify(judge?.messages)).toContain("draft 0");
    expect(JSON.stringify(judge?.messages)).toContain("Mentions waves");
    expect(prompt(2)).toContain("Mention the waves explicitly.");
    expect(prompt(2)).toContain("- no waves");
    const after = await store.get(task.id);
    expect(after).toMatchObject({ status: "completed", attempts: 2, result: "draft 2" });
    expect(after.feedback[0]).toMatchObject({ source: "verifier", attempt: 1 });
    // Executor 2 × (1000 in, 500 out) and judge 2 × (300 in, 60 out), at $1 / $5.
    expect(final.stats.tokens).toEqual({ input: 2600, output: 1120 });
    expect(final.stats.cost_usd).toBeCloseTo((2600 * 1 + 1120 * 5) / 1e6, 9);
    expect(final.stats).toMatchObject({ completed: 1, retried: 1, executions: 2 });
  });

  it("a pass below the minimum confidence counts as a fail", async () => {
    const { task } = await store.create({ description: "Anything", max_attempts: 1 });
    judgeAnswers([{ passed: true, confidence: 0.4, feedback: "Probably fine.", issues: [] }]);

    await run({ RALPH_VERIFIER: "anthropic" });

    const after = await store.get(task.id);
    expect(after.status).toBe("failed");
    expect(after.feedback.at(-1)?.text).toBe(
      "The reviewer was not confident enough that this passes (0.4 < 0.7). Probably fine.",
    );
  });

  it("a judge that does not answer with the tool cannot judge: the attempt is retried with that reason", async () => {
    const { task } = await store.create({ description: "Anything", max_attempts: 1 });
    api.respond = (request) => textMessage(request, request.body.tools ? "I think it passes." : "an answer");

    await run({ RALPH_VERIFIER: "anthropic" });

    expect((await store.get(task.id)).feedback.at(-1)?.text).toBe(
      "Attempt 1 could not be checked: The judge did not call record_verdict; no verdict was given.",
    );
  });
});
