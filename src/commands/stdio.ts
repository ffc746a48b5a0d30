/** `ralph-mcp` with no command: the stdio MCP server. Loaded lazily so terminal commands start fast. */
import type { Command } from "commander";

export function registerStdioServer(program: Command): void {
  program.action(async () => {
    const { runStdioServer } = await import("../transports/stdio.js");
    await runStdioServer({ db: program.opts<{ db?: string }>().db });
  });
}
