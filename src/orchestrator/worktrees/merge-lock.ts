/**
 * One merge at a time into a repository, across the workers of a run and across processes: a lock
 * file in the repository's git common dir (shared by all its worktrees), made with an exclusive
 * create, holding the owner's host and pid.
 *
 * A lock whose owner is dead (a run killed with -9 mid-merge) is taken over: on this host, a pid
 * that no longer runs. Within one process the waiters queue in order first, so only one of them
 * at a time polls the file.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { sleep } from "../clock.js";

export const MERGE_LOCK_FILE = "ralph-merge.lock";

interface Owner {
  host: string;
  pid: number;
  since: string;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(path: string): Owner | null {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Owner;
  } catch {
    return null;
  }
}

/** Locks of this process, by lock file: the tail of each one's queue. */
const queues = new Map<string, Promise<void>>();

export class MergeLock {
  readonly path: string;

  constructor(commonDir: string) {
    this.path = join(commonDir, MERGE_LOCK_FILE);
  }

  /** Run `work` holding the lock; the lock is released however it ends. */
  async with<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const before = queues.get(this.path) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const tail = before.then(() => mine);
    queues.set(this.path, tail);
    try {
      await before;
      await this.acquire(signal);
      try {
        return await work();
      } finally {
        rmSync(this.path, { force: true });
      }
    } finally {
      release();
      if (queues.get(this.path) === tail) queues.delete(this.path);
    }
  }

  /**
   * Remove the lock when its owner died holding it (killed mid-merge): the target branch is then
   * either before or after that merge (update-ref is atomic). Only one process at a time looks
   * (a second exclusive file), so two of them never both remove a lock and both take it.
   */
  private takeOverDead(host: string): boolean {
    const guard = `${this.path}.takeover`;
    try {
      writeFileSync(guard, String(process.pid), { flag: "wx" });
    } catch {
      // Someone else is looking; a guard left by a process killed right here goes after 10 s.
      try {
        if (Date.now() - statSync(guard).mtimeMs > 10_000) rmSync(guard, { force: true });
      } catch {}
      return false;
    }
    try {
      const owner = readOwner(this.path);
      // A lock file naming this very process is stale: in this process merges queue before they
      // reach the file, so it was left by an earlier process that had the same pid (a container's
      // pid 1 after a restart) — waiting for it to end would wait forever.
      const ownerAlive = owner !== null && owner.pid !== process.pid && isProcessAlive(owner.pid);
      if (!owner || owner.host !== host || ownerAlive) return false;
      rmSync(this.path, { force: true });
      return true;
    } finally {
      rmSync(guard, { force: true });
    }
  }

  private async acquire(signal?: AbortSignal): Promise<void> {
    const me: Owner = { host: hostname(), pid: process.pid, since: new Date().toISOString() };
    let wait = 5;
    for (;;) {
      signal?.throwIfAborted();
      try {
        writeFileSync(this.path, JSON.stringify(me), { flag: "wx" });
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      if (this.takeOverDead(me.host)) continue;
      await sleep(wait, signal);
      wait = Math.min(100, wait * 2);
    }
  }
}
