/**
 * Text every store can keep as it is: no NUL character (PostgreSQL's text cannot hold U+0000, so
 * SQLite does not take it either, and both stores keep the same texts) and no lone UTF-16
 * surrogate (it has no UTF-8 form; it would be stored as invalid bytes and read back as
 * replacement characters). What a person or a model sends with one is refused, saying where;
 * what an agent printed is made storable instead (storableText), so its work is not lost.
 */
import { ValidationError } from "./errors.js";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, "g");

/** What makes `value` unstorable, as the rest of a sentence after the field's name; null when nothing. */
export function textProblem(value: string): string | null {
  const nul = value.indexOf("\0");
  if (nul !== -1) return `contains a NUL character (U+0000) at position ${nul}; remove it`;
  const lone = LONE_SURROGATE.exec(value);
  if (lone) {
    const code = (lone[0].codePointAt(0) ?? 0).toString(16).toUpperCase();
    return `contains a lone UTF-16 surrogate (U+${code}) at position ${lone.index}, which is not a character; send valid Unicode`;
  }
  return null;
}

/** Refuse unstorable text in `field` (a store's own guard, for callers that skip the schemas). */
export function assertStorable(field: string, value: string): void {
  const problem = textProblem(value);
  if (problem !== null) {
    throw new ValidationError(`${field} ${problem}.`, {
      kind: "invalid_value",
      field,
      item: null,
      text: problem,
    });
  }
}

/** `value` with each NUL and lone surrogate replaced by U+FFFD: for output nobody can resend. */
export function storableText(value: string): string {
  return value.replaceAll("\0", "\uFFFD").replace(LONE_SURROGATES, "\uFFFD");
}
