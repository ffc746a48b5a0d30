/**
 * Group commit inside one process: calls of the same kind that arrive together (many workers in
 * one `ralph-mcp run`, many MCP sessions on one server) go to PostgreSQL as one statement, so they
 * share one round trip and one commit (one WAL flush) instead of paying for one each. Every caller
 * still gets its own result, and only after the statement committed.
 *
 * When to send: a caller that is alone (`alone()`: nobody else in the store's hot path right now)
 * goes out at once, so a lone worker waits for nobody. Otherwise calls are gathered until the end
 * of the current turn of the event loop (setImmediate) and go out together, with at most
 * `maxInFlight` batches in flight. So the batch size follows the load by itself: 1 for one worker,
 * about the number of workers for many.
 */
export class Batcher<In, Out> {
  private queue: Array<{ input: In; resolve: (out: Out) => void; reject: (error: unknown) => void }> = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    /** Runs one batch; returns one output per input, in order. */
    private readonly run: (inputs: In[]) => Promise<Out[]>,
    private readonly options: {
      /** Most inputs per statement. */
      max: number;
      /** Batches in flight at once; later calls wait for one to finish. */
      maxInFlight: number;
      /** True when no other call is under way, so waiting to gather would only add latency. */
      alone: () => boolean;
    },
  ) {}

  add(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.inFlight === 0 && this.options.alone()) this.flush();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.queue.splice(0, this.options.max);
      this.inFlight++;
      this.run(batch.map((b) => b.input))
        .then(
          (outs) => {
            for (const [i, b] of batch.entries()) b.resolve(outs[i] as Out);
          },
          (error: unknown) => {
            for (const b of batch) b.reject(error);
          },
        )
        .finally(() => {
          this.inFlight--;
          if (this.queue.length > 0) this.schedule();
        });
    }
  }
}
