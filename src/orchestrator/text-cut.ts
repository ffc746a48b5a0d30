/**
 * Cutting agent and check output to a limit that is set in characters (a task's result limit)
 * while the pipe delivers bytes: never half a UTF-8 sequence, never half a UTF-16 surrogate pair.
 */

/** Bytes enough for `chars` UTF-16 code units of any text: UTF-8 needs at most 3 bytes per unit. */
export function utf8BytesFor(chars: number): number {
  return chars * 3;
}

/** Decode bytes cut at an arbitrary end: an incomplete sequence at the end is left out, not replaced. */
export function decodeCutEnd(bytes: Uint8Array): string {
  return new TextDecoder("utf-8").decode(bytes, { stream: true });
}

/** Decode bytes cut at an arbitrary start (the tail of a stream): continuation bytes at the start are left out. */
export function decodeCutStart(bytes: Uint8Array): string {
  let start = 0;
  while (start < bytes.length && start < 3 && ((bytes[start] as number) & 0xc0) === 0x80) start++;
  return new TextDecoder("utf-8").decode(bytes.subarray(start));
}

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** The first `max` code units of `text`, one fewer when the cut would split a surrogate pair. */
export function firstChars(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = max > 0 && isHigh(text.charCodeAt(max - 1)) ? max - 1 : max;
  return text.slice(0, Math.max(0, end));
}

/** The last `max` code units of `text`, one fewer when the cut would split a surrogate pair. */
export function lastChars(text: string, max: number): string {
  if (text.length <= max) return text;
  const start = text.length - max;
  return text.slice(isLow(text.charCodeAt(start)) ? start + 1 : start);
}
