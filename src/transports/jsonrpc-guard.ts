/**
 * What every message from a client passes before the SDK sees it, on both transports: it must be
 * one JSON-RPC 2.0 message, and it must not carry a `__proto__` key.
 *
 * The SDK drops a message that fails its JSON-RPC schema (`"jsonrpc": "1.0"`, `params` as a string
 * or an array, a batch) with no answer, so the client waits for its timeout; JSON-RPC 2.0 says such
 * a request gets an Invalid Request error, with its id when it has a usable one, else null. The
 * SDK's schema also strips a `__proto__` key from a request's arguments (a prototype-pollution
 * guard) before a tool's own schema can refuse it as unknown, so a tool that refuses every argument
 * it does not name (run_orchestrator) would never see it: it is refused here, naming the key.
 */
import { type JSONRPCMessage, parseJSONRPCMessage } from "@modelcontextprotocol/server";

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const INVALID_PARAMS = -32602;

export interface JsonRpcErrorReply {
  jsonrpc: "2.0";
  id: string | number | null;
  error: { code: number; message: string };
}

export type Checked = { ok: true; message: JSONRPCMessage } | { ok: false; reply: JsonRpcErrorReply };

export function errorReply(id: string | number | null, code: number, message: string): JsonRpcErrorReply {
  return { jsonrpc: "2.0", id, error: { code, message } };
}

/** The id of a message that may not be valid, when it is one JSON-RPC allows (a string or an integer). */
export function usableId(value: unknown): string | number | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  if (typeof id === "string" || (typeof id === "number" && Number.isInteger(id))) return id;
  return null;
}

/** Where `__proto__` is an own key of `value` or of anything inside it, as a path; null when nowhere. */
function protoKeyPath(value: unknown, path: string, depth = 0): string | null {
  if (typeof value !== "object" || value === null || depth > 64) return null;
  if (!Array.isArray(value) && Object.hasOwn(value, "__proto__")) return path;
  for (const [key, inner] of Object.entries(value)) {
    const found = protoKeyPath(inner, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

/** Check one parsed JSON value received from a client. */
export function checkMessage(value: unknown): Checked {
  if (Array.isArray(value)) {
    return {
      ok: false,
      reply: errorReply(
        null,
        INVALID_REQUEST,
        "Invalid Request: JSON-RPC batches are not supported; send one message at a time.",
      ),
    };
  }
  const id = usableId(value);
  let message: JSONRPCMessage;
  try {
    message = parseJSONRPCMessage(value);
  } catch {
    return {
      ok: false,
      reply: errorReply(
        id,
        INVALID_REQUEST,
        'Invalid Request: not a JSON-RPC 2.0 message. Send an object with "jsonrpc": "2.0", a "method" string, ' +
          'an "id" (a string or an integer) for a request, and "params", when given, as an object.',
      ),
    };
  }
  // Only a request can be answered; a notification with the key is passed on as the SDK strips it.
  const where =
    "id" in message && "method" in message
      ? protoKeyPath((value as { params?: unknown }).params, "params")
      : null;
  if (where !== null) {
    const tool = (value as { method?: unknown; params?: { name?: unknown } }).params?.name;
    const named = typeof tool === "string" && (value as { method?: unknown }).method === "tools/call";
    return {
      ok: false,
      reply: errorReply(
        id,
        INVALID_PARAMS,
        `Invalid params: "__proto__" is not an argument${named ? ` of ${tool}` : ""} (in ${where}); leave it out.`,
      ),
    };
  }
  return { ok: true, message };
}

/**
 * An HTTP body's refusal, or null when it may go on to the SDK. A batch (2025-03-26 clients) is
 * left to the SDK as a whole once each message in it passes.
 */
export function refuseBody(body: unknown): JsonRpcErrorReply | null {
  for (const value of Array.isArray(body) ? body : [body]) {
    const checked = checkMessage(value);
    if (!checked.ok) return checked.reply;
  }
  return null;
}
