/**
 * What every terminal command shares: the store the global --db names (opened for a write, or
 * only when it exists for a read), output to stdout, the exit codes, and option parsers that
 * give the same message for the same bad value in every command.
 */
import { existsSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import type { z } from "zod";
import { colourFor, painter } from "../colour.js";
import { isRalphError } from "../domain/errors.js";
import { openStore, storeTarget } from "../store/open.js";
import type { TaskStore } from "../store/types.js";
import { CliError, EXIT } from "./exit.js";
import { valueMessage } from "./wording.js";

export { CliError, EXIT };

export const out = (line = ""): void => {
  process.stdout.write(`${line}\n`);
};

export const printJson = (value: unknown): void => out(JSON.stringify(value, null, 2));

/** Colour for stdout (a terminal, without NO_COLOR). */
export const paint = painter(colourFor(process.stdout));

const dbOf = (program: Command) => program.opts<{ db?: string }>().db;

/** Open the store the global --db names (creating it when it is a new file), run, and always close. */
export async function withStore<R>(program: Command, fn: (store: TaskStore) => Promise<R>): Promise<R> {
  const store = await openStore(dbOf(program));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * For reads: like withStore, but a SQLite file that does not exist is not created; the command
 * says so, naming the path and how to make a store, and exits 66.
 */
export async function withExistingStore<R>(
  program: Command,
  fn: (store: TaskStore) => Promise<R>,
): Promise<R> {
  const target = storeTarget(dbOf(program));
  if (target.kind === "sqlite" && target.path !== ":memory:" && !existsSync(target.path)) {
    throw new CliError(
      `No task store at ${target.path}. Add a task to create it (ralph-mcp add "…"), ` +
        "or point --db or RALPH_DB at an existing store.",
      EXIT.noStore,
    );
  }
  return withStore(program, fn);
}

/** An option's value checked with the domain's own schema, so every entry point says the same. */
export function schemaValue<T>(
  schema: z.ZodType<T>,
  field: string,
  toValue: (raw: string) => unknown = (s) => s,
) {
  return (raw: string): T => {
    const parsed = schema.safeParse(toValue(raw));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const text = issue?.message ?? "is not valid";
    throw new InvalidArgumentError(
      valueMessage(field, text.startsWith(field) ? text.slice(field.length).trimStart() : text),
    );
  };
}

/** A number from the command line: "5" → 5, anything else NaN (the schema then says what it must be). */
export const toNumber = (raw: string): unknown => (raw.trim() === "" ? Number.NaN : Number(raw));

/** A repeatable option that also takes comma-separated values: `-t a -t b` or `-t a,b`. */
export function listValue(check?: (item: string) => void) {
  return (raw: string, previous: string[] | undefined): string[] => {
    const items = raw
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    for (const item of items) check?.(item);
    return [...(previous ?? []), ...items];
  };
}

export function isRefusal(error: unknown): boolean {
  return isRalphError(error) && !error.retryable && error.code !== "invalid_input";
}
