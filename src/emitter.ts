/**
 * The one event emitter of the code base: typed, synchronous, in subscription order. A listener
 * that throws is handed to `onError` (by default ignored) and never stops the emitter or the
 * listeners after it: a listener's failure is its own.
 */
type Listener<T> = (event: T) => void;

export class Emitter<T> {
  private readonly listeners = new Set<Listener<T>>();

  constructor(private readonly onError: (error: unknown) => void = () => {}) {}

  /** Call `listener` with every event from now on; returns the function that stops it (idempotent). */
  on(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: T): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  /** How many listeners there are now. */
  get size(): number {
    return this.listeners.size;
  }

  clear(): void {
    this.listeners.clear();
  }
}
