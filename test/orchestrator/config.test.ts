/** Settings from the environment and a JSON file: precedence, validation, errors that name the setting. */
import { writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OrchestratorBuilder } from "../../src/orchestrator/builder.js";
import { ConfigError, loadOrchestratorOptions } from "../../src/orchestrator/config.js";
import { DEFAULT_BREAKER_LIMITS, DEFAULT_OPTIONS, tightenLimits } from "../../src/orchestrator/options.js";
import { createExecutor } from "../../src/orchestrator/parts.js";
import { costOf, priceOf } from "../../src/orchestrator/pricing.js";
import type { TaskStore } from "../../src/store/types.js";
import { makeDir, type TestDir } from "./helpers.js";

let dir: TestDir;
beforeEach(() => {
  dir = makeDir();
});
afterEach(() => dir.cleanup());

function configFile(content: unknown): string {
  const path = dir.file("ralph.json");
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

function error(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("loading settings", () => {
  it("defaults: the anthropic executor, no verifier", () => {
    const options = loadOrchestratorOptions({ env: {} });
    expect(options).toEqual(DEFAULT_OPTIONS);
    expect(options).toMatchObject({ executor: "anthropic", verifier: "none", model: "claude-sonnet-4-5" });
  });

  it("the environment: executor, verifier, commands, model, API key and base URL", () => {
    const options = loadOrchestratorOptions({
      env: {
        RALPH_EXECUTOR: "command",
        RALPH_EXECUTOR_COMMAND: "claude -p",
        RALPH_VERIFIER: "command",
        RALPH_VERIFIER_COMMAND: "npm test",
        RALPH_MODEL: "claude-haiku-4-5",
        ANTHROPIC_API_KEY: "sk-1",
        ANTHROPIC_BASE_URL: "http://127.0.0.1:9999",
      },
    });
    expect(options).toMatchObject({
      executor: "command",
      executorCommand: "claude -p",
      verifier: "command",
      verifierCommand: "npm test",
      model: "claude-haiku-4-5",
      apiKey: "sk-1",
      baseURL: "http://127.0.0.1:9999",
    });
  });

  it("a command alone picks its kind", () => {
    const options = loadOrchestratorOptions({
      env: { RALPH_EXECUTOR_COMMAND: "codex exec", RALPH_VERIFIER_COMMAND: "make check" },
    });
    expect(options).toMatchObject({ executor: "command", verifier: "command" });
  });

  it("the file sets the rest; environment beats file; flags beat environment; breaker and prices merge", () => {
    const path = configFile({
      model: "from-file",
      verifier: "none",
      commandTimeoutMs: 1234,
      breaker: { maxCostUsd: 2, maxIterations: 7 },
      prices: { "from-file": { input: 1, output: 2 } },
    });
    const options = loadOrchestratorOptions({
      env: { RALPH_CONFIG: path, RALPH_MODEL: "from-env", RALPH_EXECUTOR_COMMAND: "x" },
      overrides: { maxTasks: 3, breaker: { maxIterations: 5 } },
    });
    expect(options.model).toBe("from-env");
    expect(options.commandTimeoutMs).toBe(1234);
    expect(options.maxTasks).toBe(3);
    expect(options.breaker).toEqual({ ...DEFAULT_BREAKER_LIMITS, maxCostUsd: 2, maxIterations: 5 });
    expect(options.prices["from-file"]).toEqual({ input: 1, output: 2 });
    expect(options.prices["claude-sonnet-4"]).toEqual({ input: 3, output: 15 });
    expect(options.executor).toBe("command");
  });

  it("maxCostUsd: null turns the budget off", () => {
    const options = loadOrchestratorOptions({
      env: {},
      configPath: configFile({ breaker: { maxCostUsd: null } }),
    });
    expect(options.breaker.maxCostUsd).toBeNull();
  });
});

describe("errors name the setting", () => {
  it("an unknown executor", () => {
    const e = error(() => loadOrchestratorOptions({ env: { RALPH_EXECUTOR: "bash" } }));
    expect(e.setting).toBe("RALPH_EXECUTOR");
    expect(e.message).toBe('RALPH_EXECUTOR must be anthropic, command or sampling (got "bash").');
  });

  it("an unknown verifier", () => {
    const e = error(() => loadOrchestratorOptions({ env: { RALPH_VERIFIER: "judge" } }));
    expect(e.message).toBe('RALPH_VERIFIER must be anthropic, command or none (got "judge").');
  });

  it("command without its command", () => {
    const e = error(() => loadOrchestratorOptions({ env: { RALPH_EXECUTOR: "command" } }));
    expect(e.setting).toBe("RALPH_EXECUTOR_COMMAND");
    expect(e.message).toMatch(/^RALPH_EXECUTOR=command needs RALPH_EXECUTOR_COMMAND/);
    const v = error(() => loadOrchestratorOptions({ env: { RALPH_VERIFIER: "command" } }));
    expect(v.setting).toBe("RALPH_VERIFIER_COMMAND");
  });

  it("a base URL that is not a URL", () => {
    const e = error(() => loadOrchestratorOptions({ env: { ANTHROPIC_BASE_URL: "localhost 8080" } }));
    expect(e.setting).toBe("ANTHROPIC_BASE_URL");
  });

  it("a wrong value in the file names its path", () => {
    const path = configFile({ breaker: { maxCostUsd: "lots" } });
    const e = error(() => loadOrchestratorOptions({ env: {}, configPath: path }));
    expect(e.setting).toBe("breaker.maxCostUsd");
    expect(e.message).toContain(`Config file ${path}: breaker.maxCostUsd:`);
  });

  it("an unknown key in the file (a typo) is named, with the known ones", () => {
    const path = configFile({ breaker: { maxCost: 1 } });
    const e = error(() => loadOrchestratorOptions({ env: {}, configPath: path }));
    expect(e.setting).toBe("maxCost");
    expect(e.message).toMatch(
      /unknown setting maxCost in breaker; known settings: maxIterations, .*maxCostUsd/,
    );
  });

  it("a missing file and a file that is not JSON", () => {
    expect(
      error(() => loadOrchestratorOptions({ env: { RALPH_CONFIG: dir.file("nope.json") } })).message,
    ).toMatch(/^Cannot read the config file .*nope\.json.*Fix RALPH_CONFIG/);
    expect(
      error(() => loadOrchestratorOptions({ env: {}, configPath: configFile("{ nope") })).message,
    ).toMatch(/is not valid JSON/);
  });

  it("k larger than n", () => {
    const path = configFile({ breaker: { repeatThreshold: 6, repeatWindow: 5 } });
    expect(error(() => loadOrchestratorOptions({ env: {}, configPath: path })).setting).toBe(
      "breaker.repeatThreshold",
    );
  });

  it("maxActiveRuns: 1 by default, from the file or RALPH_MAX_ACTIVE_RUNS, a whole number ≥ 1", () => {
    expect(loadOrchestratorOptions({ env: {} }).maxActiveRuns).toBe(1);
    const path = configFile({ maxActiveRuns: 2 });
    expect(loadOrchestratorOptions({ env: {}, configPath: path }).maxActiveRuns).toBe(2);
    expect(
      loadOrchestratorOptions({ env: { RALPH_MAX_ACTIVE_RUNS: " 3 " }, configPath: path }).maxActiveRuns,
    ).toBe(3);
    for (const bad of ["0", "many", "1.5", "-1"]) {
      const e = error(() => loadOrchestratorOptions({ env: { RALPH_MAX_ACTIVE_RUNS: bad } }));
      expect(e.setting).toBe("RALPH_MAX_ACTIVE_RUNS");
      expect(e.message).toContain("RALPH_MAX_ACTIVE_RUNS must be a whole number ≥ 1");
    }
    expect(
      error(() => loadOrchestratorOptions({ env: {}, configPath: configFile({ maxActiveRuns: 0 }) })).setting,
    ).toBe("maxActiveRuns");
  });

  it("staleRunMs below 3 × heartbeatMs, and leaseMs below it, are refused by name", () => {
    const load = (content: unknown) => () =>
      loadOrchestratorOptions({ env: {}, configPath: configFile(content) });
    const stale = error(load({ heartbeatMs: 5000, staleRunMs: 10_000 }));
    expect(stale.setting).toBe("staleRunMs");
    expect(stale.message).toMatch(/^staleRunMs \(10000\) must be at least 3 × heartbeatMs \(15000\)/);
    const lease = error(load({ heartbeatMs: 1000, leaseMs: 2000 }));
    expect(lease.setting).toBe("leaseMs");
    expect(lease.message).toMatch(/^leaseMs \(2000\) must be at least 3 × heartbeatMs \(3000\)/);
    // A heartbeat slowed down alone is checked against the defaults too.
    expect(error(load({ heartbeatMs: 200_000 })).setting).toBe("staleRunMs");
    expect(
      loadOrchestratorOptions({ env: {}, configPath: configFile({ heartbeatMs: 50, staleRunMs: 150 }) }),
    ).toMatchObject({ heartbeatMs: 50, staleRunMs: 150 });
    // Options made in code are held to the same rule.
    expect(() =>
      new OrchestratorBuilder()
        .withTaskStore({} as TaskStore)
        .withExecutor(createExecutor({ ...DEFAULT_OPTIONS, executor: "command", executorCommand: "true" }))
        .withLoopSettings({ heartbeatMs: 50, staleRunMs: 1 })
        .build(),
    ).toThrow(/staleRunMs \(1\) must be at least 3 × heartbeatMs/);
  });

  it("sampling without a client that offers it", () => {
    const options = loadOrchestratorOptions({ env: { RALPH_EXECUTOR: "sampling" } });
    const e = error(() => createExecutor(options));
    expect(e.setting).toBe("RALPH_EXECUTOR");
    expect(e.message).toMatch(/does not offer sampling/);
  });
});

describe("the sampling seam", () => {
  it("runs a task on the client's model through the supplied createMessage", async () => {
    const options = loadOrchestratorOptions({ env: { RALPH_EXECUTOR: "sampling" } });
    const seen: unknown[] = [];
    const executor = createExecutor(options, {
      sampling: async (request) => {
        seen.push(request);
        return {
          model: "client-model",
          content: { type: "text", text: "sampled answer" },
          stopReason: "endTurn",
        };
      },
    });
    const result = await executor.execute(
      { task: { id: "task-001" } as never, attempt: 1, prompt: "do it", runId: "run-001" },
      new AbortController().signal,
    );
    expect(result).toMatchObject({ ok: true, output: "sampled answer", model: "client-model" });
    expect(seen[0]).toMatchObject({ messages: [{ role: "user", content: { type: "text", text: "do it" } }] });
  });
});

describe("limits and prices", () => {
  it("per-run limits can tighten the configured ones, never loosen them", () => {
    const limits = tightenLimits(DEFAULT_BREAKER_LIMITS, {
      maxIterations: 5,
      maxCostUsd: 100,
      maxWallClockMs: 1,
    });
    expect(limits.maxIterations).toBe(5);
    expect(limits.maxCostUsd).toBe(DEFAULT_BREAKER_LIMITS.maxCostUsd);
    expect(limits.maxWallClockMs).toBe(1);
    expect(tightenLimits({ ...DEFAULT_BREAKER_LIMITS, maxCostUsd: null }, { maxCostUsd: 3 }).maxCostUsd).toBe(
      3,
    );
  });

  it("a model takes the price of its longest matching prefix, else the default", () => {
    const table = DEFAULT_OPTIONS.prices;
    expect(priceOf(table, "claude-opus-4-5-20251101")).toEqual({ input: 5, output: 25 });
    expect(priceOf(table, "claude-opus-4-1")).toEqual({ input: 15, output: 75 });
    expect(priceOf(table, "claude-sonnet-4-5-20250929")).toEqual({ input: 3, output: 15 });
    expect(priceOf(table, "someone-elses-model")).toEqual(table.default);
    expect(costOf(table, "claude-haiku-4-5", { input: 1_000_000, output: 1_000_000 })).toBe(6);
    expect(costOf(table, undefined, { input: 1000, output: 1000 })).toBe(0);
  });
});
