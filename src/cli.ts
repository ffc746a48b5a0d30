#!/usr/bin/env node
/**
 * The ralph-mcp command. With no command it is the stdio MCP server (what Claude Desktop runs);
 * the other commands reach the same store from a terminal. Argument parsing: commander.
 */
import { Command, CommanderError } from "commander";
import { registerDashboardCommand } from "./commands/dashboard.js";
import { registerInstallCommand } from "./commands/install.js";
import { registerRunCommand } from "./commands/run.js";
import { registerServeCommand } from "./commands/serve.js";
import { registerStdioServer } from "./commands/stdio.js";
import { registerTaskCommands } from "./commands/tasks.js";
import { isRalphError } from "./domain/errors.js";
import { log } from "./log.js";
import { packageVersion } from "./package-root.js";

export function buildProgram(): Command {
  const program = new Command("ralph-mcp")
    .description("A durable, prioritized task queue for AI tools, and an orchestrator that works through it.")
    .version(packageVersion(), "-V, --version", "print the version and exit")
    .option(
      "--db <path-or-url>",
      "SQLite file or postgres:// URL (default: RALPH_DB, else the user data folder)",
    )
    .showHelpAfterError();
  registerStdioServer(program);
  registerTaskCommands(program);
  registerRunCommand(program);
  registerServeCommand(program);
  registerDashboardCommand(program);
  registerInstallCommand(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (isRalphError(error)) {
      process.stderr.write(`ralph-mcp: ${error.message}\n`);
      process.exitCode = error.retryable ? 75 : 1;
      return;
    }
    log.fatal({ err: error }, "unexpected error");
    process.exitCode = 1;
  }
}

await main(process.argv);
