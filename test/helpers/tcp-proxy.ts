/**
 * A TCP proxy in front of PostgreSQL that a test can take down and bring back, to play a database
 * restart without restarting the shared server. `stop()` refuses new connections and cuts every
 * open one (as a crash or a restart would); `start()` listens again on the same port.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Cut the open connections but keep accepting new ones (a network blip). */
  cut(): void;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = createConnection({ host: targetHost, port: targetPort });
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          socket.on("error", () => {});
        }
        client.pipe(upstream).pipe(client);
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        const address = s.address();
        if (address && typeof address === "object") port = address.port;
        server = s;
        resolve();
      });
    });

  const cut = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };

  await listen();
  return {
    get port() {
      return port;
    },
    start: listen,
    cut,
    stop: async () => {
      const s = server;
      server = null;
      cut();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
