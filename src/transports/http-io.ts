/**
 * The plain HTTP parts of the server (http.ts), apart from routing: requests in flight (for the
 * drain), CORS headers, writing a web Response to a Node response, and binding the port.
 */
import type { createServer as createHttpServer, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { ValidationError } from "../domain/errors.js";
import { log } from "../log.js";

/** Requests in flight, and a way to wait until there are none. */
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];

  enter(): void {
    this.count++;
  }

  leave(): void {
    this.count--;
    if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  get size(): number {
    return this.count;
  }

  /** Resolves true when nothing is in flight, false when `ms` passed first. */
  idle(ms: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function corsHeaders(origin: string): Record<string, string> {
  return {
    "access-control-allow-origin": origin,
    "access-control-expose-headers": "mcp-session-id, mcp-protocol-version, www-authenticate",
    vary: "Origin",
  };
}

export function preflightHeaders(): Record<string, string> {
  return {
    "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
    "access-control-allow-headers":
      "authorization, content-type, accept, last-event-id, mcp-session-id, mcp-protocol-version",
    "access-control-max-age": "600",
  };
}

/** Write a web Response to a Node response, streaming its body (SSE) with backpressure. */
export async function write(
  res: ServerResponse,
  response: Response,
  extra: Record<string, string> = {},
): Promise<void> {
  const headers: Record<string, string> = { ...extra };
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  if (response.body === null) {
    res.end();
    return;
  }
  try {
    await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res);
  } catch (error) {
    // The client went away mid-stream; the body was cancelled, which is all there is to do.
    log.trace({ err: error }, "response stream ended early");
  }
}

export function listen(
  server: ReturnType<typeof createHttpServer>,
  port: number,
  host: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") {
        reject(
          new ValidationError(
            `Port ${port} on ${host} is in use; choose another with --port (0 picks a free one).`,
          ),
        );
      } else if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") {
        reject(new ValidationError(`Cannot listen on ${host}: no such address on this machine.`));
      } else {
        reject(error);
      }
    };
    server.once("error", onError);
    server.listen(port, host.replace(/^\[|\]$/g, ""), () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
