/**
 * Composing an orchestrator from its parts, as the brief does:
 *
 *   const orchestrator = new OrchestratorBuilder()
 *     .withTaskStore(store)
 *     .withExecutor(new CommandExecutor({ … }))
 *     .withVerifier(new NoVerifier())
 *     .withSafety({ maxConsecutiveFailures: 3 })
 *     .build();
 *   const run = await orchestrator.run({ maxTasks: 10 });   // the final Run record
 *
 * or from settings: `OrchestratorBuilder.fromOptions(store, loadOrchestratorOptions())`.
 * Each run gets a fresh circuit breaker.
 */
import { ValidationError } from "../domain/errors.js";
import type { Run } from "../domain/run.js";
import type { TaskStore } from "../store/types.js";
import { systemClock } from "./clock.js";
import { checkLoopTimings } from "./config.js";
import {
  type BreakerLimits,
  DEFAULT_OPTIONS,
  type OrchestratorOptions,
  type PriceTable,
  tightenLimits,
} from "./options.js";
import { createExecutor, createVerifier, type PartsContext } from "./parts.js";
import { startRun } from "./run-loop.js";
import type { Clock, Executor, RunHandle, RunParts, StartOptions, Verifier } from "./types.js";
import { NoVerifier } from "./verifiers/none.js";
import { openRepo } from "./worktrees/repo.js";
import { WorktreeWorkspaces } from "./worktrees/workspace.js";

export interface RunParams extends StartOptions {
  /** Most distinct tasks this run takes on; default the configured maxTasks (10). */
  maxTasks?: number | undefined;
  /** Limits for this run only; they can tighten the configured ones, never loosen them. */
  limits?: Partial<BreakerLimits> | undefined;
}

export type LoopSettings = Pick<
  OrchestratorOptions,
  "maxTasks" | "parallel" | "leaseMs" | "heartbeatMs" | "staleRunMs" | "retryDelayMs" | "retryDelayMaxMs"
>;

/** Where a run with worktrees works: the repository, the branch merged into, a check after merging. */
export type WorktreeSettings = Pick<OrchestratorOptions, "repo" | "branch" | "verifyAfterMerge">;

export class Orchestrator {
  constructor(
    private readonly parts: RunParts,
    private readonly worktrees: WorktreeSettings | null = null,
  ) {}

  /**
   * Start a run in the background: resolves with its handle once its record exists. With worktrees
   * the repository is checked first (a dirty worktree of the target branch is a ConfigError) and
   * what dead runs left in it is cleaned up.
   */
  async start(params: RunParams = {}): Promise<RunHandle> {
    const maxTasks = params.maxTasks ?? this.parts.maxTasks;
    if (!Number.isInteger(maxTasks) || maxTasks < 1) {
      throw new ValidationError(`max_tasks must be a whole number ≥ 1 (got ${maxTasks}).`);
    }
    let parts: RunParts = {
      ...this.parts,
      maxTasks,
      limits: tightenLimits(this.parts.limits, params.limits),
    };
    if (this.worktrees) {
      const workspaces = new WorktreeWorkspaces(await openRepo(this.worktrees));
      await workspaces.cleanUp();
      const { root, branch } = workspaces.repo;
      parts = {
        ...parts,
        workspaces,
        verifyAfterMerge: this.worktrees.verifyAfterMerge,
        settings: {
          ...parts.settings,
          worktrees: { repo: root, branch, verify_after_merge: this.worktrees.verifyAfterMerge },
        },
      };
    }
    return startRun(parts, { signal: params.signal, onProgress: params.onProgress });
  }

  /** Run to the end; resolves with the final Run record (its stats and stop reason). */
  async run(params: RunParams = {}): Promise<Run> {
    return (await this.start(params)).done;
  }
}

export class OrchestratorBuilder {
  private store: TaskStore | null = null;
  private executor: Executor | null = null;
  private verifier: Verifier = new NoVerifier();
  private limits: BreakerLimits = DEFAULT_OPTIONS.breaker;
  private prices: PriceTable = DEFAULT_OPTIONS.prices;
  private clock: Clock = systemClock;
  private loop: LoopSettings = {
    maxTasks: DEFAULT_OPTIONS.maxTasks,
    parallel: DEFAULT_OPTIONS.parallel,
    // Composed in code, back-off is opt-in (withLoopSettings): a test's manual clock does not move
    // the store's. From settings (fromOptions) it is on by default.
    retryDelayMs: 0,
    retryDelayMaxMs: DEFAULT_OPTIONS.retryDelayMaxMs,
    leaseMs: DEFAULT_OPTIONS.leaseMs,
    heartbeatMs: DEFAULT_OPTIONS.heartbeatMs,
    staleRunMs: DEFAULT_OPTIONS.staleRunMs,
  };
  private settings: Record<string, unknown> = {};
  private worktrees: WorktreeSettings | null = null;

  /** Everything from settings: executor, verifier, limits, prices, loop timings. */
  static fromOptions(
    store: TaskStore,
    options: OrchestratorOptions,
    context: PartsContext = {},
  ): OrchestratorBuilder {
    return new OrchestratorBuilder()
      .withTaskStore(store)
      .withExecutor(createExecutor(options, context))
      .withVerifier(createVerifier(options, context))
      .withSafety(options.breaker)
      .withPrices(options.prices)
      .withLoopSettings(options)
      .withWorktrees(options.worktrees ? options : null);
  }

  /** Each attempt in a git worktree of its own, merged back through the merge queue; null: off. */
  withWorktrees(settings: Partial<WorktreeSettings> | null): this {
    this.worktrees = settings
      ? {
          repo: settings.repo ?? null,
          branch: settings.branch ?? null,
          verifyAfterMerge: settings.verifyAfterMerge ?? false,
        }
      : null;
    return this;
  }

  withTaskStore(store: TaskStore): this {
    this.store = store;
    return this;
  }
  withExecutor(executor: Executor): this {
    this.executor = executor;
    return this;
  }
  /** Default: no verification. */
  withVerifier(verifier: Verifier): this {
    this.verifier = verifier;
    return this;
  }
  /** The circuit breaker's limits, over the defaults. */
  withSafety(limits: Partial<BreakerLimits>): this {
    this.limits = { ...this.limits, ...limits };
    return this;
  }
  /** Prices per model (USD per million tokens), over the defaults. */
  withPrices(prices: PriceTable): this {
    this.prices = { ...this.prices, ...prices };
    return this;
  }
  withClock(clock: Clock): this {
    this.clock = clock;
    return this;
  }
  withLoopSettings(settings: Partial<LoopSettings>): this {
    this.loop = {
      maxTasks: settings.maxTasks ?? this.loop.maxTasks,
      parallel: settings.parallel ?? this.loop.parallel,
      retryDelayMs: settings.retryDelayMs ?? this.loop.retryDelayMs,
      retryDelayMaxMs: settings.retryDelayMaxMs ?? this.loop.retryDelayMaxMs,
      leaseMs: settings.leaseMs ?? this.loop.leaseMs,
      heartbeatMs: settings.heartbeatMs ?? this.loop.heartbeatMs,
      staleRunMs: settings.staleRunMs ?? this.loop.staleRunMs,
    };
    return this;
  }
  /** Extra fields shown in each run record's settings. */
  withSettings(settings: Record<string, unknown>): this {
    this.settings = { ...this.settings, ...settings };
    return this;
  }

  build(): Orchestrator {
    if (!this.store) throw new TypeError("OrchestratorBuilder: withTaskStore(store) is required.");
    if (!this.executor) throw new TypeError("OrchestratorBuilder: withExecutor(executor) is required.");
    checkLoopTimings(this.loop);
    return new Orchestrator(
      {
        store: this.store,
        executor: this.executor,
        verifier: this.verifier,
        limits: this.limits,
        prices: this.prices,
        clock: this.clock,
        settings: this.settings,
        ...this.loop,
      },
      this.worktrees,
    );
  }
}
