/**
 * `ralph-mcp` with no command: the stdio MCP server. Loaded lazily so terminal commands start fast.
 * A word that is not a command is an unknown command (with commander's "did you mean"), not a
 * server start. Started by hand in a terminal, it says on stderr what it is and where to look;
 * stdout stays protocol only.
 */
import type { Command } from "commander";

export function registerStdioServer(program: Command): void {
  program.allowExcessArguments().action(async () => {
    if (program.args.length > 0) {
      // Commander's own unknown-command error, with its suggestion (`lsit` → list). It is
      // reached this way because the program itself has an action (the server).
      (program as unknown as { unknownCommand(): never }).unknownCommand();
    }
    if (process.stdin.isTTY) {
      process.stderr.write(
        "ralph-mcp: this is the stdio MCP server; it speaks MCP on stdin and stdout to a client such as Claude Desktop.\n" +
          "For the terminal commands (add, list, run, …) see: ralph-mcp --help. Press Ctrl-C to quit.\n",
      );
    }
    // Node >= 22.1 can cache compiled code between runs; a client waits for this process's first
    // answer, and most of that wait is compiling the MCP SDK. A no-op on older Node.
    const { enableCompileCache } = (await import("node:module")) as { enableCompileCache?: () => unknown };
    enableCompileCache?.();
    const { runStdioServer } = await import("../transports/stdio.js");
    await runStdioServer({ db: program.opts<{ db?: string }>().db });
  });
}
