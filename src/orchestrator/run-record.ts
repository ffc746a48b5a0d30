/**
 * Recording a run in the store: its record created at the start (after marking runs whose process
 * died as abandoned), its progress saved one write at a time and in order, a cancel requested by
 * another process noticed on the way, and its end saved last.
 *
 * Another process may end the record first (it marks a run abandoned whose heartbeat looks stale,
 * e.g. this process was suspended): from then on nothing can be saved, and the run is told to stop.
 */
import { hostname } from "node:os";
import { isRalphError } from "../domain/errors.js";
import type { NewRun, Run, RunUpdate } from "../domain/run.js";
import { log } from "../log.js";
import type { RunStore } from "../store/types.js";

/** Saving the run failed because its record has already ended (another process abandoned or ended it). */
function isEndedElsewhere(error: unknown): error is Error {
  return isRalphError(error) && error.code === "invalid_transition";
}

export interface RecordEvents {
  /** Another process asked the run to stop. */
  onCancelRequested(): void;
  /** Another process ended the record: the run cannot be saved any more. */
  onEndedElsewhere(why: string): void;
}

/** Create a run's record, once stale runs of dead processes are marked abandoned. */
export async function createRunRecord(
  runs: RunStore,
  input: Omit<NewRun, "owner">,
  staleRunMs: number,
): Promise<Run> {
  try {
    await runs.abandonStale(staleRunMs);
  } catch (error) {
    log.warn({ err: error }, "could not mark stale runs as abandoned");
  }
  return runs.create({ ...input, owner: `${hostname()}:${process.pid}` });
}

export class RunRecorder {
  private writing: Promise<unknown> = Promise.resolve();
  /** Another process ended the record: it cannot be saved any more. */
  private ended = false;

  constructor(
    private readonly runs: RunStore,
    private readonly id: string,
    private readonly events: RecordEvents,
  ) {}

  /** Queue a progress write (after the ones before it); a failure is logged, never thrown. */
  save(patch: RunUpdate): void {
    if (this.ended) return;
    this.writing = this.writing
      .then(() => this.runs.update(this.id, patch))
      .then((saved) => {
        if (saved.cancel_requested) this.events.onCancelRequested();
      })
      .catch((error: unknown) => {
        if (isEndedElsewhere(error)) {
          this.ended = true;
          this.events.onEndedElsewhere(error.message);
        } else log.warn({ err: error, run: this.id }, "could not save the run's progress");
      });
  }

  /** Save the run's end once every progress write is out; the saved record, or `fallback` when it could not be saved. */
  async finish(patch: RunUpdate, fallback: Run): Promise<Run> {
    await this.writing;
    try {
      return await this.runs.update(this.id, patch);
    } catch (error) {
      if (isEndedElsewhere(error)) {
        this.ended = true;
        log.warn({ run: this.id }, `could not save the run's end: ${error.message}`);
      } else {
        log.error({ err: error, run: this.id }, "could not save the run's end");
      }
      return fallback;
    }
  }
}
