/**
 * Real clients for the MCP tests: the 2025-era SDK (1.x) Client and the current v2 Client pinned
 * to 2026-07-28, over real stdio to `node dist/bin/ralph-mcp.js` (built by `npm test`), or in-process over
 * linked in-memory transports through the same serveStdio entry and createServer factory.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client as ClientV2 } from "@modelcontextprotocol/client";
import { StdioClientTransport as StdioClientTransportV2 } from "@modelcontextprotocol/client/stdio";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport as StdioClientTransportV1 } from "@modelcontextprotocol/sdk/client/stdio.js";
import { InMemoryTransport } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { ChangeHub } from "../../src/mcp/changes.js";
import { createServer } from "../../src/mcp/server.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import type { TaskStore } from "../../src/store/types.js";
import { ListenTap } from "../../src/transports/listen-tap.js";

export const CLI = resolve(import.meta.dirname, "../../dist/bin/ralph-mcp.js");
export const MODERN = "2026-07-28";

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does).`);
}

/** A fresh folder with a database path in it; removed by the returned cleanup. */
export function tempDb(): { dir: string; db: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "ralph-mcp-test-"));
  return { dir, db: join(dir, "tasks.db"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function serverEnv(db: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return { ...env, RALPH_DB: db, RALPH_LOG_LEVEL: "warn", ...extra };
}

export interface ListedTool {
  name: string;
  title?: string | undefined;
  description?: string | undefined;
  inputSchema: { properties?: Record<string, unknown> | undefined };
  outputSchema?: object | undefined;
  annotations?:
    | { readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean; openWorldHint?: boolean }
    | undefined;
}

/** What the tests use of a client; the 1.x and v2 Clients both have it. */
export interface AnyClient {
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
  readResource(params: {
    uri: string;
  }): Promise<{ contents: Array<{ uri: string; text?: string; mimeType?: string }> }>;
  listTools(): Promise<{ tools: ListedTool[] }>;
  listResources(): Promise<{ resources: Array<{ uri: string; name: string }> }>;
  listResourceTemplates(): Promise<{ resourceTemplates: Array<{ uriTemplate: string; name: string }> }>;
  listPrompts(): Promise<{
    prompts: Array<{ name: string; arguments?: Array<{ name: string }> | undefined }>;
  }>;
  getPrompt(params: {
    name: string;
    arguments?: Record<string, string>;
  }): Promise<{ messages: Array<{ role: string; content: { type: string } }> }>;
  complete(params: {
    ref: { type: "ref/resource"; uri: string };
    argument: { name: string; value: string };
  }): Promise<{ completion: { values: string[] } }>;
  getServerVersion(): { name: string; version: string } | undefined;
  close(): Promise<void>;
}

export type Era = "legacy" | "modern";

/**
 * A 2025-era client (SDK 1.x, as Claude Desktop speaks) on a server process over stdio; `env`
 * adds to (or, with an empty string, clears) the server's environment.
 */
export async function connectV1(
  db: string,
  name = "test-v1",
  env: Record<string, string> = {},
): Promise<ClientV1> {
  assertBuilt();
  const client = new ClientV1({ name, version: "1.0.0" });
  await client.connect(
    new StdioClientTransportV1({ command: process.execPath, args: [CLI], env: serverEnv(db, env) }),
  );
  return client;
}

/** A current client (SDK v2) pinned to the 2026-07-28 revision, on a server process over stdio. */
export async function connectV2(
  db: string,
  name = "test-v2",
  env: Record<string, string> = {},
): Promise<ClientV2> {
  assertBuilt();
  const client = new ClientV2({ name, version: "1.0.0" }, { versionNegotiation: { mode: { pin: MODERN } } });
  await client.connect(
    new StdioClientTransportV2({ command: process.execPath, args: [CLI], env: serverEnv(db, env) }),
  );
  return client;
}

export function connect(era: Era, db: string, name?: string): Promise<AnyClient> {
  return era === "legacy" ? connectV1(db, name) : connectV2(db, name);
}

/** In-process: a store, the stdio entry over linked in-memory transports, and a v2 client. */
export async function connectInProcess(
  era: Era,
  store?: TaskStore,
): Promise<{ client: ClientV2; store: TaskStore; close: () => Promise<void> }> {
  const owned = store === undefined;
  const theStore = store ?? openSqliteStore({ path: ":memory:" });
  const hub = new ChangeHub(theStore);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const tap = new ListenTap(serverSide);
  const handle = serveStdio(
    (ctx) => createServer({ store: theStore, hub, era: ctx.era, watched: tap.watched }),
    { transport: tap },
  );
  const client = new ClientV2(
    { name: `in-process-${era}`, version: "1.0.0" },
    era === "modern" ? { versionNegotiation: { mode: { pin: MODERN } } } : {},
  );
  await client.connect(clientSide);
  return {
    client,
    store: theStore,
    close: async () => {
      await client.close();
      await handle.close();
      hub.close();
      if (owned) await theStore.close();
    },
  };
}

export interface ToolReply {
  isError: boolean;
  text: string;
  structured: Record<string, unknown> | undefined;
}

/** Call a tool and flatten its result to what the tests look at. */
export async function call(
  client: AnyClient,
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolReply> {
  const result = (await client.callTool({ name, arguments: args })) as {
    isError?: boolean;
    content?: Array<{ type: string; text?: string }>;
    structuredContent?: Record<string, unknown>;
  };
  const text = (result.content ?? []).map((c) => c.text ?? "").join("\n");
  return { isError: result.isError === true, text, structured: result.structuredContent };
}

/** Call a tool that must succeed; returns its structuredContent. */
export async function ok(client: AnyClient, name: string, args: Record<string, unknown> = {}) {
  const reply = await call(client, name, args);
  if (reply.isError) throw new Error(`${name} failed: ${reply.text}`);
  if (!reply.structured) throw new Error(`${name} returned no structuredContent`);
  return reply.structured;
}

export async function readJson(client: AnyClient, uri: string): Promise<unknown> {
  const result = await client.readResource({ uri });
  const first = result.contents[0] as { text?: string } | undefined;
  return JSON.parse(first?.text ?? "null");
}
