/**
 * Opaque list cursors: the position after which the next page starts, tied to the filter it was
 * made for, so a cursor from one listing cannot silently page through another.
 */
import { ValidationError } from "../domain/errors.js";

export function encodeCursor(afterSeq: number, status: string | undefined): string {
  return Buffer.from(JSON.stringify({ a: afterSeq, s: status ?? null })).toString("base64url");
}

export function decodeCursor(cursor: string, status: string | undefined): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = null;
  }
  const value = parsed as { a?: unknown; s?: unknown } | null;
  if (!value || typeof value.a !== "number" || !Number.isSafeInteger(value.a) || value.a < 0) {
    throw new ValidationError(
      "That cursor is not valid. Pass the nextCursor of the previous page exactly, or omit cursor to start at the first page.",
    );
  }
  if ((value.s ?? null) !== (status ?? null)) {
    throw new ValidationError(
      `That cursor belongs to a listing ${value.s ? `with status ${String(value.s)}` : "of all tasks"}; use it with the same status filter, or omit cursor to start over.`,
    );
  }
  return value.a;
}
