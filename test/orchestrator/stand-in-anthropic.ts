/**
 * A stand-in for the Anthropic Messages API on 127.0.0.1, speaking its wire format: POST
 * /v1/messages with a JSON body, answered with a `message` object (content blocks, stop_reason,
 * usage) or an `error` object. The official SDK is pointed at it with baseURL. Each test says how
 * to answer; every request is recorded.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is (for malformed answers). */
  body: unknown;
}

export type Responder = (request: RecordedRequest, index: number) => Reply;

let messageSeq = 0;

export function textMessage(
  request: RecordedRequest,
  text: string,
  usage = { input_tokens: 1000, output_tokens: 500 },
): Reply {
  return {
    body: {
      id: `msg_stand_in_${++messageSeq}`,
      type: "message",
      role: "assistant",
      model: request.body.model,
      content: [{ type: "text", text }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...usage },
    },
  };
}

export function toolUseMessage(
  request: RecordedRequest,
  name: string,
  input: unknown,
  usage = { input_tokens: 300, output_tokens: 60 },
): Reply {
  return {
    body: {
      id: `msg_stand_in_${++messageSeq}`,
      type: "message",
      role: "assistant",
      model: request.body.model,
      content: [{ type: "tool_use", id: `toolu_stand_in_${messageSeq}`, name, input }],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...usage },
    },
  };
}

export function apiError(
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): Reply {
  return { status, headers, body: { type: "error", error: { type, message } } };
}

export class StandInAnthropic {
  readonly requests: RecordedRequest[] = [];
  private server: Server | null = null;
  respond: Responder = (request) => textMessage(request, "stand-in answer");

  get url(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
        } catch {
          body = {};
        }
        const recorded: RecordedRequest = {
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body,
        };
        const index = this.requests.length;
        this.requests.push(recorded);
        const reply: Reply =
          recorded.method === "POST" && recorded.path.startsWith("/v1/messages")
            ? this.respond(recorded, index)
            : apiError(404, "not_found_error", `No route ${recorded.method} ${recorded.path}`);
        const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status ?? 200, {
          "content-type": "application/json",
          "request-id": `req_stand_in_${index}`,
          ...reply.headers,
        });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
