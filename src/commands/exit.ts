/** How a terminal command ends, and the failures the terminal words itself. */

/** How a command ends (sysexits where one fits). `run` has its own on top (see run.ts). */
export const EXIT = {
  ok: 0,
  /** The store refused: no such task, a status that does not allow it, someone else holds it. */
  refused: 1,
  /** A mistake in the command line: an unknown command or option, a bad value. */
  usage: 64,
  /** A file to read is not valid (import). */
  data: 65,
  /** No store at the path a read names; nothing was created. */
  noStore: 66,
  /** The store is busy or unreachable; try again. */
  unavailable: 75,
  /** A setting is wrong. */
  config: 78,
} as const;

/** A failure the terminal words itself, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
