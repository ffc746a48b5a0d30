/**
 * An execution's output as it streams, kept as a bounded tail and saved to the store now and then,
 * so another process can follow it (`ralph-mcp runs watch`, the dashboard). Past OUTPUT_TAIL_BYTES
 * the oldest lines are dropped, and the saved text begins with a note saying how much.
 */
import { type NewExecutionOutput, OUTPUT_TAIL_BYTES } from "../domain/run.js";
import { log } from "../log.js";

const byteLength = (text: string) => Buffer.byteLength(text, "utf8");

/** The bounded tail: whole lines dropped from the front while it is over `maxBytes`. */
export class OutputTail {
  private text = "";
  private bytes = 0;
  private dropped = 0;

  constructor(private readonly maxBytes = OUTPUT_TAIL_BYTES) {}

  append(chunk: string): void {
    this.text += chunk;
    this.bytes += byteLength(chunk);
    if (this.bytes <= this.maxBytes) return;
    // Drop whole lines from the front; a single line longer than the whole tail is cut.
    let cut = 0;
    let over = this.bytes - this.maxBytes;
    while (over > 0 && cut < this.text.length) {
      const nl = this.text.indexOf("\n", cut);
      // The last line, still open: keep its end rather than nothing.
      const end = nl === -1 ? this.text.length - Math.floor(this.maxBytes / 4) : nl + 1;
      over -= byteLength(this.text.slice(cut, end));
      cut = end;
    }
    const gone = this.text.slice(0, cut);
    this.text = this.text.slice(cut);
    this.dropped += byteLength(gone);
    this.bytes = byteLength(this.text);
  }

  /** The text to show: the note about dropped output first, when there is any. */
  view(): { text: string; dropped_bytes: number } {
    const note = this.dropped > 0 ? `[… ${this.dropped} bytes of earlier output dropped]\n` : "";
    return { text: note + this.text, dropped_bytes: this.dropped };
  }
}

/** How often a streaming execution's tail is saved, at most. */
export const OUTPUT_SAVE_MS = 250;

/**
 * A tail that saves itself: at most every OUTPUT_SAVE_MS while output comes, and once more at the
 * end (`flush`). Saving never fails the execution: a failure is logged.
 */
export class StreamedOutput {
  private readonly tail = new OutputTail();
  private timer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    private readonly where: Omit<NewExecutionOutput, "text" | "dropped_bytes">,
    private readonly save: (output: NewExecutionOutput) => Promise<void>,
  ) {}

  readonly write = (chunk: string): void => {
    this.tail.append(chunk);
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.saveNow();
    }, OUTPUT_SAVE_MS);
  };

  private saveNow(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const output = { ...this.where, ...this.tail.view() };
    this.saving = this.saving
      .then(() => this.save(output))
      .catch((error: unknown) =>
        log.warn({ err: error, task: this.where.task_id }, "could not save the agent's output"),
      );
  }

  /** Save what is left; resolves when every save is out. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.saveNow();
    await this.saving;
  }
}
