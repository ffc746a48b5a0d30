/**
 * Asking before a change that cannot be undone: `--yes` says yes; on a terminal the command asks;
 * anywhere else (a script, a pipe) it refuses without --yes rather than guess.
 */
import { createInterface } from "node:readline/promises";
import { CliError, EXIT } from "./exit.js";

export async function confirm(question: string, yes: boolean | undefined, retry: string): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new CliError(`${question} Nothing was changed: add --yes to confirm (${retry}).`, EXIT.usage);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError("Nothing was changed.", EXIT.refused);
  } finally {
    rl.close();
  }
}
