/** `ralph-mcp` with no command: the stdio MCP server. Loaded lazily so terminal commands start fast. */
import type { Command } from "commander";

export function registerStdioServer(program: Command): void {
  program.action(async () => {
    // Node >= 22.1 can cache compiled code between runs; a client waits for this process's first
    // answer, and most of that wait is compiling the MCP SDK. A no-op on older Node.
    const { enableCompileCache } = (await import("node:module")) as { enableCompileCache?: () => unknown };
    enableCompileCache?.();
    const { runStdioServer } = await import("../transports/stdio.js");
    await runStdioServer({ db: program.opts<{ db?: string }>().db });
  });
}
