/**
 * A stdio server process driven line by line (no SDK client), for what a client library would not
 * send: oversized and malformed lines, a client that stops reading. Waits on states, never sleeps.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { assertBuilt, CLI, serverEnv } from "../mcp/helpers.js";

export type Message = Record<string, unknown> & { id?: unknown; error?: { code: number; message: string } };

export interface RawServer {
  child: ChildProcessWithoutNullStreams;
  /** Every message the server wrote, in order. */
  messages: Message[];
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Write one line as it is (a newline is added). */
  writeLine(line: string): void;
  /** Send a request and wait for the answer with its id. */
  request(method: string, params?: unknown): Promise<Message>;
  /** Wait for the next message that `match` accepts (among those already received, too). */
  next(match: (m: Message) => boolean): Promise<Message>;
  /** initialize (2025-06-18) and notifications/initialized. */
  initialize(): Promise<void>;
}

export function startRaw(db: string, env: Record<string, string> = {}): RawServer {
  assertBuilt();
  const child = spawn(process.execPath, [CLI], { env: serverEnv(db, env), stdio: ["pipe", "pipe", "pipe"] });
  const messages: Message[] = [];
  const waiters: Array<{ match: (m: Message) => boolean; resolve: (m: Message) => void }> = [];
  let stderr = "";
  let buffer = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const message = JSON.parse(buffer.slice(0, nl)) as Message;
      buffer = buffer.slice(nl + 1);
      messages.push(message);
      for (const waiter of waiters.filter((w) => w.match(message))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.on("error", () => {}); // the server may be gone when a test writes
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let nextId = 1;
  const next = (match: (m: Message) => boolean) =>
    new Promise<Message>((resolve) => {
      const seen = messages.find(match);
      if (seen) resolve(seen);
      else waiters.push({ match, resolve });
    });
  const server: RawServer = {
    child,
    messages,
    stderr: () => stderr,
    exited,
    writeLine: (line) => child.stdin.write(`${line}\n`),
    next,
    request: (method, params) => {
      const id = 1000 + nextId++;
      server.writeLine(JSON.stringify({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) }));
      return next((m) => m.id === id);
    },
    initialize: async () => {
      await server.request("initialize", {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "by-hand", version: "1" },
      });
      server.writeLine(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
    },
  };
  return server;
}

/** The text of a tools/call answer. */
export function toolText(message: Message): string {
  const result = message.result as { content?: Array<{ text?: string }> } | undefined;
  return (result?.content ?? []).map((c) => c.text ?? "").join("\n");
}
