/**
 * `ralph-mcp dashboard [--port 8788] [--host 127.0.0.1]`: serves the board for a browser, on loopback,
 * over the same store as every other command (`--db` / RALPH_DB). Prints its URL on stdout and
 * serves until Ctrl-C. With RALPH_HTTP_TOKEN set the board asks for it before showing anything.
 */
import type { Command } from "commander";
import { ValidationError } from "../domain/errors.js";

interface DashboardCommandOptions {
  host?: string;
  port?: number;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) {
    throw new ValidationError(
      `--port must be a whole number from 0 to 65535 (got "${value}"); 0 picks a free one.`,
    );
  }
  return n;
}

export function registerDashboardCommand(program: Command): void {
  program
    .command("dashboard")
    .description("Serve the live board and print its URL to open in a browser (loopback, default port 8788)")
    .option("--host <address>", "address to bind (default 127.0.0.1; anything else needs RALPH_HTTP_TOKEN)")
    .option("--port <n>", "TCP port (default 8788; 0 picks a free one)", port)
    .addHelpText(
      "after",
      "\nThe store is the one every command uses: --db <path-or-url> (before or after the command), else RALPH_DB.",
    )
    .action(async (options: DashboardCommandOptions) => {
      const db = program.opts<{ db?: string }>().db;
      const token = process.env.RALPH_HTTP_TOKEN?.trim() || undefined;
      const { assertBindable } = await import("../transports/http-doors.js");
      assertBindable(options.host ?? "127.0.0.1", token);
      const { openStore } = await import("../store/open.js");
      const { startDashboardServer } = await import("../dashboard/server.js");
      const store = await openStore(db);
      let running: Awaited<ReturnType<typeof startDashboardServer>>;
      try {
        running = await startDashboardServer({ store, host: options.host, port: options.port, token });
      } catch (error) {
        await store.close();
        throw error;
      }
      process.stdout.write(`Ralph board: ${running.url}  (store: ${store.location}; Ctrl-C stops it)\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      });
      await running.close();
      await store.close();
    });
}
