/**
 * `ralph-mcp serve`: the MCP server. Without --http it is the stdio server (the same as
 * `ralph-mcp` with no command); with --http, Streamable HTTP at /mcp. Loaded lazily so terminal
 * commands start fast.
 */
import type { Command } from "commander";
import { ValidationError } from "../domain/errors.js";

interface ServeOptions {
  http?: boolean;
  host?: string;
  port?: number;
  allowedHost: string[];
  allowedOrigin: string[];
  maxBody?: number;
}

function wholeNumber(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ValidationError(`${name} must be a whole number from ${min} to ${max} (got "${value}").`);
    }
    return n;
  };
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("Run the MCP server: stdio by default, or Streamable HTTP at /mcp with --http")
    .option("--http", "serve Streamable HTTP instead of stdio")
    .option(
      "--host <address>",
      "address to bind (default 127.0.0.1; anything else needs RALPH_HTTP_TOKEN or RALPH_OAUTH_ISSUER)",
    )
    .option("--port <n>", "TCP port (default 8787; 0 picks a free one)", wholeNumber("--port", 0, 65_535))
    .option(
      "--allowed-host <name>",
      "also answer to this Host name, e.g. a proxy's public name (repeatable; env RALPH_HTTP_ALLOWED_HOSTS)",
      collect,
      [],
    )
    .option(
      "--allowed-origin <origin>",
      "also accept browser requests from this origin (repeatable; env RALPH_HTTP_ALLOWED_ORIGINS)",
      collect,
      [],
    )
    .option(
      "--max-body <bytes>",
      "largest request body accepted (default 4194304)",
      wholeNumber("--max-body", 1, 1024 ** 3),
    )
    .action(async (options: ServeOptions) => {
      const db = program.opts<{ db?: string }>().db;
      if (!options.http) {
        if (options.host !== undefined || options.port !== undefined) {
          throw new ValidationError("--host and --port apply to the HTTP server: add --http.");
        }
        const { runStdioServer } = await import("../transports/stdio.js");
        await runStdioServer({ db });
        return;
      }
      const { runHttpServer } = await import("../transports/http.js");
      const { listFromEnv } = await import("../transports/http-doors.js");
      await runHttpServer({
        db,
        host: options.host,
        port: options.port,
        allowedHosts: [...listFromEnv(process.env.RALPH_HTTP_ALLOWED_HOSTS), ...options.allowedHost],
        allowedOrigins: [...listFromEnv(process.env.RALPH_HTTP_ALLOWED_ORIGINS), ...options.allowedOrigin],
        maxBodyBytes: options.maxBody,
      });
    });
}
