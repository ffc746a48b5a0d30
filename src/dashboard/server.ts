/**
 * `ralph-mcp dashboard`: the board alone on loopback, for people whose MCP client runs the stdio
 * server. It reads the same store (`--db` / RALPH_DB) and has the same doors as `serve --http`.
 */
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ValidationError } from "../domain/errors.js";
import { log } from "../log.js";
import { ChangeHub } from "../mcp/changes.js";
import type { TaskStore } from "../store/types.js";
import {
  asHostname,
  assertBindable,
  Doors,
  defaultAllowedHosts,
  defaultAllowedOrigins,
} from "../transports/http-doors.js";
import { Dashboard } from "./routes.js";

export const DEFAULT_DASHBOARD_PORT = 8788;

export interface DashboardServerOptions {
  store: TaskStore;
  host?: string | undefined;
  /** Default 8788; 0 picks a free one. */
  port?: number | undefined;
  /** RALPH_HTTP_TOKEN: with it the board asks for the token before showing anything. */
  token?: string | undefined;
  allowedHosts?: readonly string[] | undefined;
  allowedOrigins?: readonly string[] | undefined;
  runPollMs?: number | undefined;
}

export interface RunningDashboard {
  readonly url: string;
  readonly port: number;
  readonly dashboard: Dashboard;
  close(): Promise<void>;
}

export async function startDashboardServer(options: DashboardServerOptions): Promise<RunningDashboard> {
  const host = options.host ?? "127.0.0.1";
  const token = options.token === "" ? undefined : options.token;
  assertBindable(host, token);
  const doors = new Doors({
    allowedHosts: defaultAllowedHosts(host, options.allowedHosts),
    allowedOrigins: defaultAllowedOrigins(options.allowedOrigins),
    token,
  });
  const hub = new ChangeHub(options.store);
  const dashboard = new Dashboard({ store: options.store, doors, hub, runPollMs: options.runPollMs });
  const server = createHttpServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const refused = doors.checkHostAndOrigin(req.headers.host, req.headers.origin);
    if (refused) {
      log.info(
        { host: req.headers.host, origin: req.headers.origin, path },
        "refused a request from a stranger (403)",
      );
      res.writeHead(refused.status, { "content-type": "text/plain; charset=utf-8" });
      res.end(refused.message);
      return;
    }
    if (!dashboard.handles(path)) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("Not found: the board is at /.");
      return;
    }
    void dashboard.serve(req, res);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new ValidationError(
              `Port ${options.port} on ${host} is in use; choose another with --port (0 picks a free one).`,
            )
          : error,
      ),
    );
    server.listen(options.port ?? DEFAULT_DASHBOARD_PORT, host.replace(/^\[|\]$/g, ""), () =>
      resolve((server.address() as AddressInfo).port),
    );
  }).catch((error: unknown) => {
    dashboard.close();
    hub.close();
    throw error;
  });
  let closing: Promise<void> | null = null;
  return {
    url: `http://${asHostname(host)}:${port}/`,
    port,
    dashboard,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        dashboard.close();
        hub.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
