/**
 * Our stdio wire: newline-delimited JSON-RPC on stdin and stdout, in place of the SDK's
 * StdioServerTransport (serveStdio takes any transport).
 *
 * Why not the SDK's: its read buffer has one limit for everything not yet framed (10 MiB), and
 * going over it closes the transport without a word: no answer to the request, no shutdown (the
 * process exited with code 13, or, with a background run working, stayed alive answering
 * nothing). It also drops a line that is not JSON, or not a JSON-RPC message, with no answer. Here:
 *
 * - The limit is per message (`maxMessageBytes`, default 10 MiB), and a line over it is read
 *   through and dropped, not kept: the client gets an Invalid Request error naming the limit, with
 *   the request's id when it is in the line's first 64 KiB (where clients put it), and the
 *   connection goes on.
 * - A line that is not JSON gets a Parse error; one that is not a JSON-RPC 2.0 message an Invalid
 *   Request (jsonrpc-guard.ts).
 * - `closed` resolves, with the reason, whenever the wire closes for any reason (stdin ended,
 *   stdout broke, the SDK closed it), so the server can run its normal shutdown.
 */
import type { Readable, Writable } from "node:stream";
import type { JSONRPCMessage, Transport } from "@modelcontextprotocol/server";
import { log } from "../log.js";
import {
  checkMessage,
  errorReply,
  INVALID_REQUEST,
  type JsonRpcErrorReply,
  PARSE_ERROR,
} from "./jsonrpc-guard.js";

/** The SDK's own stdio limit, kept as the per-message limit. */
export const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/** How much of an oversized line is kept to find its id in. */
const ID_SEARCH_BYTES = 64 * 1024;

export interface StdioWireOptions {
  stdin?: Readable;
  stdout?: Writable;
  /** A message (one line) longer than this is refused; default 10 MiB. */
  maxMessageBytes?: number;
}

export class StdioWire implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: JSONRPCMessage) => void) | undefined;

  /** Resolves with why the wire closed: "stdin closed", "stdout closed", "closed by the server". */
  readonly closed: Promise<string>;
  private resolveClosed!: (why: string) => void;
  private readonly stdin: Readable;
  private readonly stdout: Writable;
  private readonly maxBytes: number;
  private parts: Buffer[] = [];
  private size = 0;
  /** Set while reading through a line over the limit: its first bytes, and how long it is so far. */
  private oversized: { head: Buffer; bytes: number } | null = null;
  private started = false;
  private isClosed = false;

  constructor(options: StdioWireOptions = {}) {
    this.stdin = options.stdin ?? process.stdin;
    this.stdout = options.stdout ?? process.stdout;
    this.maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  async start(): Promise<void> {
    if (this.started) throw new Error("StdioWire already started");
    this.started = true;
    this.stdin.on("data", this.onData);
    this.stdin.on("error", this.onStdinError);
    this.stdin.on("end", this.onStdinEnd);
    this.stdin.on("close", this.onStdinEnd);
    // Kept for the process's life: a write to a client that went away must not throw later.
    this.stdout.on("error", this.onStdoutError);
    if (this.stdin.readableEnded || this.stdin.destroyed) setImmediate(this.onStdinEnd);
  }

  send(message: JSONRPCMessage | JsonRpcErrorReply): Promise<void> {
    if (this.isClosed) return Promise.reject(new Error("The stdio connection is closed"));
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        this.stdout.off("drain", onDrain);
        reject(error);
      };
      const onDrain = () => {
        this.stdout.off("error", onError);
        resolve();
      };
      this.stdout.once("error", onError);
      if (this.stdout.write(`${JSON.stringify(message)}\n`)) {
        this.stdout.off("error", onError);
        resolve();
      } else {
        this.stdout.once("drain", onDrain);
      }
    });
  }

  async close(): Promise<void> {
    this.shut("closed by the server");
  }

  private shut(why: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.stdin.off("data", this.onData);
    this.stdin.off("error", this.onStdinError);
    this.stdin.off("end", this.onStdinEnd);
    this.stdin.off("close", this.onStdinEnd);
    if (this.stdin.listenerCount("data") === 0) this.stdin.pause();
    this.parts = [];
    this.oversized = null;
    this.resolveClosed(why);
    this.onclose?.();
  }

  private readonly onStdinEnd = () => this.shut("stdin closed");

  private readonly onStdinError = (error: Error) => {
    this.onerror?.(error);
    this.shut("stdin failed");
  };

  private readonly onStdoutError = (error: Error) => {
    if (this.isClosed) return;
    this.onerror?.(error);
    this.shut("stdout closed");
  };

  private readonly onData = (chunk: Buffer) => {
    let from = 0;
    while (from <= chunk.length && !this.isClosed) {
      const nl = chunk.indexOf(10, from);
      this.take(chunk.subarray(from, nl === -1 ? chunk.length : nl));
      if (nl === -1) return;
      this.endLine();
      from = nl + 1;
    }
  };

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.oversized) {
      this.oversized.bytes += piece.length;
      return;
    }
    if (this.size + piece.length <= this.maxBytes) {
      this.parts.push(piece);
      this.size += piece.length;
      return;
    }
    const head = Buffer.concat([...this.parts, piece.subarray(0, ID_SEARCH_BYTES)]).subarray(
      0,
      ID_SEARCH_BYTES,
    );
    this.oversized = { head, bytes: this.size + piece.length };
    this.parts = [];
    this.size = 0;
  }

  private endLine(): void {
    if (this.oversized) {
      const { head, bytes } = this.oversized;
      this.oversized = null;
      const id = sniffId(head.toString("utf8"));
      log.warn({ bytes, limit: this.maxBytes, id }, "refused a stdio message over the size limit");
      this.reply(
        errorReply(
          id,
          INVALID_REQUEST,
          `Request too large: a message may be at most ${mib(this.maxBytes)} (this one was ${mib(bytes)}). ` +
            "Send less in one call (a shorter result, a smaller batch).",
        ),
      );
      return;
    }
    const line = Buffer.concat(this.parts).toString("utf8");
    this.parts = [];
    this.size = 0;
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      log.warn({ bytes: line.length }, "refused a stdio line that is not JSON");
      this.reply(
        errorReply(
          null,
          PARSE_ERROR,
          "Parse error: the line is not valid JSON. Send one JSON-RPC message per line.",
        ),
      );
      return;
    }
    const checked = checkMessage(value);
    if (!checked.ok) {
      log.warn(
        { id: checked.reply.id, why: checked.reply.error.message },
        "refused a malformed stdio message",
      );
      this.reply(checked.reply);
      return;
    }
    this.onmessage?.(checked.message);
  }

  private reply(message: JsonRpcErrorReply): void {
    this.send(message).catch((error: Error) => this.onerror?.(error));
  }
}

function mib(bytes: number): string {
  const m = bytes / (1024 * 1024);
  return m >= 1 ? `${Number.isInteger(m) ? m : m.toFixed(1)} MiB` : `${bytes} bytes`;
}

/**
 * The top-level `"id"` of a JSON object's text (possibly cut short), or null: strings are skipped
 * whole, so an `"id"` inside params or inside a string is not taken for it.
 */
export function sniffId(text: string): string | number | null {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    else if (c === '"') {
      const end = stringEnd(text, i);
      if (end === -1) return null;
      if (depth === 1 && text.slice(i, end + 1) === '"id"') {
        const value = /^\s*:\s*(-?\d+|"(?:[^"\\]|\\.){0,256}")/.exec(text.slice(end + 1, end + 300));
        if (value?.[1] !== undefined) {
          const id: unknown = JSON.parse(value[1]);
          return typeof id === "string" || Number.isSafeInteger(id) ? (id as string | number) : null;
        }
      }
      i = end;
    }
  }
  return null;
}

/** The index of the quote that closes the string opening at `start`, or -1 when the text ends first. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}
