#!/usr/bin/env node
/**
 * The ralph-mcp command. With no command it is the stdio MCP server (what Claude Desktop runs);
 * the other commands reach the same store from a terminal (src/commands/, one file each).
 * Argument parsing, help and "did you mean" suggestions: commander. Errors are worded for people
 * (src/commands/wording.ts) and end with the exit codes in src/commands/exit.ts.
 */
import { Command, CommanderError } from "commander";
import { CliError, EXIT } from "./commands/exit.js";
import { COMMANDS } from "./commands/index.js";
import { registerStdioServer } from "./commands/stdio.js";
import { refuseUnknownSubcommands } from "./commands/subcommands.js";
import { cliMessage, exitCodeOf } from "./commands/wording.js";
import { isRalphError } from "./domain/errors.js";
import { log } from "./log.js";
import { packageVersion } from "./package-root.js";

const EXIT_HELP = `
With no command, ralph-mcp is the stdio MCP server that Claude Desktop and other clients start.
Run "ralph-mcp help <command>" for a command's options.

Exit codes: 0 done · 1 refused (no such task, or its status does not allow it) · 64 a mistake in
the command line · 65 a file that cannot be imported · 66 no store at that path · 75 the store is
busy or unreachable, try again · 78 a setting is wrong (run has more: ralph-mcp help run).`;

export function buildProgram(): Command {
  const program = new Command("ralph-mcp")
    .description("A durable, prioritized task queue for AI tools, and an orchestrator that works through it.")
    .version(packageVersion(), "-V, --version", "print the version and exit")
    .option(
      "--db <path-or-url>",
      "SQLite file or postgres:// URL (default: RALPH_DB, else the user data folder)",
    )
    // `help [command]`: commander leaves it out when the program has an action of its own (ours
    // is the stdio server), so it is asked for.
    .helpCommand("help [command]", "show the help of ralph-mcp or of one command")
    .showSuggestionAfterError()
    .showHelpAfterError('(run "ralph-mcp --help" for the commands and options)')
    .addHelpText("after", EXIT_HELP)
    // Before the commands are added: they inherit it, so no command calls process.exit itself.
    .exitOverride();
  registerStdioServer(program);
  for (const register of COMMANDS) register(program);
  refuseUnknownSubcommands(program);
  return program;
}

function fail(message: string, code: number): void {
  process.stderr.write(`error: ${message}\n`);
  process.exitCode = code;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message (and a suggestion); help and --version end with 0.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (error instanceof CliError) return fail(error.message, error.exitCode);
    if (isRalphError(error)) return fail(cliMessage(error), exitCodeOf(error));
    log.fatal({ err: error }, "unexpected error");
    process.exitCode = 1;
  }
}

await main(process.argv);
