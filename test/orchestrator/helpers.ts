/** Shared test helpers: a fresh store per test, waiting on a state, a manual clock, process checks. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { DEFAULT_OPTIONS, type OrchestratorOptions } from "../../src/orchestrator/options.js";
import type { Clock } from "../../src/orchestrator/types.js";
import { openSqliteStore, type SqliteTaskStore } from "../../src/store/sqlite/store.js";

export interface TestDir {
  path: string;
  file(name: string): string;
  cleanup(): void;
}

export function makeDir(prefix = "ralph-orch-"): TestDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    file: (name) => join(path, name),
    cleanup: () => rmSync(path, { recursive: true, force: true }),
  };
}

export function makeStore(dir: TestDir, name = "tasks.db"): SqliteTaskStore {
  return openSqliteStore({ path: dir.file(name) });
}

export interface StoreFixture {
  /** A fresh folder per test, removed after it. */
  readonly dir: TestDir;
  /** A fresh SQLite store in `dir` per test, closed after it. */
  readonly store: SqliteTaskStore;
}

/**
 * Registers beforeEach/afterEach for a file (or a describe): a fresh folder and store per test,
 * closed and removed after it. Read `dir` and `store` inside tests (they change per test).
 */
export function useStore(prefix?: string): StoreFixture {
  let dir: TestDir | undefined;
  let store: SqliteTaskStore | undefined;
  beforeEach(() => {
    dir = makeDir(prefix);
    store = makeStore(dir);
  });
  afterEach(async () => {
    await store?.close();
    dir?.cleanup();
    store = undefined;
    dir = undefined;
  });
  const must = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`useStore: ${what} is only there inside a test`);
    return value;
  };
  return {
    get dir() {
      return must(dir, "dir");
    },
    get store() {
      return must(store, "store");
    },
  };
}

/** Poll `check` until it returns a truthy value (no fixed sleeps: wait for the state). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 15_000, what = "the expected state" }: { timeoutMs?: number; what?: string } = {},
): Promise<Exclude<T, false | null | undefined | 0 | "">> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, false | null | undefined | 0 | "">;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A pid that is running (a zombie waiting to be reaped does not count). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] !== "Z";
  } catch {
    return existsSync(`/proc/${pid}`);
  }
}

/** A clock the test moves by hand; sleeps resolve when it passes their time. */
export class ManualClock implements Clock {
  private t = 1_000_000;
  private timers: Array<{ at: number; resolve: () => void }> = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = { at: this.t + ms, resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        "abort",
        () => {
          this.timers = this.timers.filter((x) => x !== timer);
          reject(signal.reason);
        },
        { once: true },
      );
      this.fire();
    });
  }

  /** How many sleeps are waiting. */
  get pending(): number {
    return this.timers.length;
  }

  advance(ms: number): void {
    this.t += ms;
    this.fire();
  }

  private fire(): void {
    const due = this.timers.filter((x) => x.at <= this.t);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const x of due) x.resolve();
  }
}

/** Options for tests: fast heartbeats, the given executor and verifier settings. */
export function testOptions(over: Partial<OrchestratorOptions> = {}): OrchestratorOptions {
  return {
    ...DEFAULT_OPTIONS,
    heartbeatMs: 50,
    killGraceMs: 2000,
    retryDelayMs: 0,
    ...over,
    breaker: { ...DEFAULT_OPTIONS.breaker, ...over.breaker },
  };
}

/** A string safe to put inside single quotes in a POSIX shell command. */
export function sq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
