/**
 * How values come back from PostgreSQL, for this store's connections only (not `pg`'s global
 * parsers, which other code in the process may rely on).
 *
 * timestamptz arrives as the ISO string the Task model uses, without a Date in between: the stock
 * parser (postgres-date) was the largest client-side cost of a claim. Sessions run in UTC
 * (connection.ts sets TimeZone on connect), so the text is "2026-01-02 03:04:05.678+00" and becomes
 * "2026-01-02T03:04:05.678Z" by slicing. Anything else (another time zone, an unusual DateStyle)
 * goes through the stock parser, so the result is right either way.
 */
import pg from "pg";

const TIMESTAMPTZ = 1184;
const UTC_TEXT = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00$/;

function parseTimestamptz(value: string): string {
  const m = UTC_TEXT.exec(value);
  if (m) return `${m[1]}T${m[2]}.${(m[3] ?? "").padEnd(3, "0").slice(0, 3)}Z`;
  const parsed: unknown = pg.types.getTypeParser(TIMESTAMPTZ, "text")(value);
  return parsed instanceof Date ? parsed.toISOString() : String(parsed);
}

export const storeTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMPTZ && format !== "binary"
      ? parseTimestamptz
      : pg.types.getTypeParser(oid, format ?? "text")) as pg.CustomTypesConfig["getTypeParser"],
};
