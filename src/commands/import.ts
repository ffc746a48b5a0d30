/**
 * `ralph-mcp import FILE`: add the tasks of a file that `export` wrote (a JSON array, or JSON
 * lines), or any list of {description, priority, …} objects. All or nothing: one bad row adds
 * nothing and is named. A row whose task is here already (its idempotency_key is stored, or the
 * task by its id has its created_at and description: domain/import.ts) is skipped, so importing
 * the same file twice adds its tasks once; ids are kept where the store has none by them, and
 * depends_on follows the file's ids to the tasks' ids here.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { isRalphError } from "../domain/errors.js";
import { validateImport } from "../domain/import.js";
import { CliError, EXIT, out, printJson, withStore } from "./context.js";
import { jsonOption } from "./options.js";
import { cliMessage } from "./wording.js";

/** A message as a sentence: with its full stop, so what follows reads as the next one. */
const sentence = (text: string): string => (/[.!?]$/.test(text) ? text : `${text}.`);

/** The rows of a file: a JSON array, an object with a `tasks` array, or one JSON value a line. */
export function parseRows(text: string, name: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  if (trimmed.startsWith("[") || (trimmed.startsWith("{") && !trimmed.includes("\n"))) {
    try {
      const value = JSON.parse(trimmed) as unknown;
      if (Array.isArray(value)) return value;
      if (value && typeof value === "object" && Array.isArray((value as { tasks?: unknown }).tasks))
        return (value as { tasks: unknown[] }).tasks;
      return [value];
    } catch (error) {
      if (trimmed.startsWith("[")) {
        throw new CliError(
          `${name} is not valid JSON: ${(error as Error).message}. Nothing was imported.`,
          EXIT.data,
        );
      }
    }
  }
  const rows: unknown[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      rows.push(JSON.parse(line));
    } catch (error) {
      throw new CliError(
        `${name}, line ${i + 1}: not valid JSON (${(error as Error).message}). Nothing was imported.`,
        EXIT.data,
      );
    }
  });
  return rows;
}

export function registerImport(program: Command): void {
  const command = program
    .command("import")
    .description("Add the tasks of a file written by export (JSON or JSON lines), all or nothing")
    .argument("<file>", 'the file, or "-" for stdin');
  jsonOption(command, "what was added").action(async (file: string, opts) => {
    const name = file === "-" ? "stdin" : resolve(file);
    let text: string;
    try {
      text = readFileSync(file === "-" ? 0 : name, "utf8");
    } catch (error) {
      throw new CliError(`Cannot read ${name}: ${(error as Error).message}.`, EXIT.noStore);
    }
    let rows: ReturnType<typeof validateImport>;
    try {
      rows = validateImport(parseRows(text, name));
    } catch (error) {
      if (!isRalphError(error)) throw error;
      throw new CliError(
        `${name}: ${sentence(cliMessage(error, { rows: true }))} Nothing was imported.`,
        EXIT.data,
      );
    }
    await withStore(program, async (store) => {
      let result: Awaited<ReturnType<typeof store.importTasks>>;
      try {
        result = await store.importTasks(rows);
      } catch (error) {
        if (!isRalphError(error) || error.code !== "invalid_input") throw error;
        throw new CliError(
          `${name}: ${sentence(cliMessage(error, { rows: true }))} Nothing was imported.`,
          EXIT.data,
        );
      }
      if (opts.json) return printJson(result);
      const renamed = Object.entries(result.ids).filter(([from, to]) => from !== to);
      out(
        `Imported ${result.created.length} task${result.created.length === 1 ? "" : "s"}` +
          (result.existing.length > 0 ? `; ${result.existing.length} already here` : ""),
      );
      if (renamed.length > 0) {
        out(`New ids (the file's were taken): ${renamed.map(([from, to]) => `${from} → ${to}`).join(", ")}`);
      }
    });
  });
}
