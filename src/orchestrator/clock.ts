/** The real clock: Date.now and abortable timers. Tests pass their own Clock instead. */
import type { Clock } from "./types.js";

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** setTimeout's longest delay (about 24.8 days); longer sleeps are taken in steps. */
const MAX_TIMER_MS = 2_147_483_647;

export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  let left = ms;
  while (left > MAX_TIMER_MS) {
    await sleepOnce(MAX_TIMER_MS, signal);
    left -= MAX_TIMER_MS;
  }
  return sleepOnce(left, signal);
}

function sleepOnce(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep,
};
