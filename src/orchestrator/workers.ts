/**
 * The workers of a run: up to `parallel` attempts at once, each in a slot (w1 … wN) with what it
 * is doing, so a run shows each worker's task and phase and waits for a slot to come free.
 */
import type { RunCurrent } from "../domain/run.js";

/** What one busy worker is doing. */
export interface WorkerState extends RunCurrent {
  /** 1 … parallel. */
  worker: number;
}

export class WorkerSlots {
  private readonly busy = new Map<number, { state: RunCurrent | null; work: Promise<void> }>();

  constructor(readonly size: number) {}

  get count(): number {
    return this.busy.size;
  }

  /** The lowest free slot, or undefined when every worker is busy. */
  free(): number | undefined {
    for (let slot = 1; slot <= this.size; slot++) if (!this.busy.has(slot)) return slot;
    return undefined;
  }

  /** Run `work` in `slot`; the slot is free again when it settles (it must not reject). */
  start(slot: number, state: RunCurrent, work: (slot: number) => Promise<void>): void {
    const entry: { state: RunCurrent | null; work: Promise<void> } = { state, work: Promise.resolve() };
    this.busy.set(slot, entry);
    entry.work = work(slot).finally(() => this.busy.delete(slot));
  }

  /** Change what the worker in `slot` is doing. */
  update(slot: number, change: Partial<RunCurrent>): void {
    const entry = this.busy.get(slot);
    if (entry?.state) entry.state = { ...entry.state, ...change };
  }

  /** The worker in `slot` is done with its task (its outcome is being written): no longer shown. */
  idle(slot: number): void {
    const entry = this.busy.get(slot);
    if (entry) entry.state = null;
  }

  /** Resolves when any busy worker is done (at once when none is). */
  async any(): Promise<void> {
    if (this.busy.size === 0) return;
    await Promise.race([...this.busy.values()].map((e) => e.work));
  }

  /** Resolves when every busy worker is done. */
  async all(): Promise<void> {
    while (this.busy.size > 0) await Promise.all([...this.busy.values()].map((e) => e.work));
  }

  /** The busy workers, by slot. */
  states(): WorkerState[] {
    const out: WorkerState[] = [];
    for (const [worker, e] of this.busy) if (e.state) out.push({ ...e.state, worker });
    return out.sort((a, b) => a.worker - b.worker);
  }
}
