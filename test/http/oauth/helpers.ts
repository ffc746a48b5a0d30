/**
 * OAuth test helpers: the ralph server as a resource server of a stand-in authorization server
 * (both on 127.0.0.1), an OAuth client provider that both SDK lines accept (it "opens" the
 * authorization URL by fetching it, and keeps the code the stand-in redirects back with), and raw
 * requests carrying a bearer token.
 */
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as HttpTransportV2,
  type OAuthDiscoveryState,
  type OAuthClientProvider as ProviderV2,
  UnauthorizedError as UnauthorizedV2,
} from "@modelcontextprotocol/client";
import { UnauthorizedError as UnauthorizedV1 } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as HttpTransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OAuthOptions } from "../../../src/transports/oauth/config.js";
import { MODERN } from "../../mcp/helpers.js";
import { type InProcessServer, postHeaders, raw, serveInProcess } from "../helpers.js";
import { StandInAuthorizationServer } from "./authorization-server.js";

export interface OAuthSetup {
  as: StandInAuthorizationServer;
  server: InProcessServer;
  /** The resource tokens are for: the server's URL (its /mcp endpoint). */
  resource: string;
  close(): Promise<void>;
}

export async function serveWithOAuth(
  options: Partial<OAuthOptions> & { token?: string; sessionIdleMs?: number } = {},
): Promise<OAuthSetup> {
  const as = await StandInAuthorizationServer.start();
  const { token, sessionIdleMs, ...oauth } = options;
  // "introspection" stands for the stand-in's own endpoint, whose address is known only now.
  if (oauth.introspectionUrl === "introspection") oauth.introspectionUrl = as.introspectionUrl;
  const server = await serveInProcess({ oauth: { issuer: as.issuer, ...oauth }, token, sessionIdleMs });
  return {
    as,
    server,
    resource: server.url,
    close: async () => {
      await server.close();
      await as.close();
    },
  };
}

/** An OAuth client as a desktop app would be: registers, sends the user to authorize, keeps the tokens. */
export class TestOAuthProvider implements ProviderV2 {
  code: string | undefined;
  private info: { client_id: string } | undefined;
  private saved: { access_token: string; token_type: string; scope?: string } | undefined;
  private verifier = "";
  private discovery: OAuthDiscoveryState | undefined;

  get redirectUrl(): string {
    return "http://127.0.0.1:1/callback";
  }

  get clientMetadata() {
    return {
      client_name: "ralph oauth test",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }

  clientInformation() {
    return this.info;
  }

  saveClientInformation(info: { client_id: string }) {
    this.info = info;
  }

  tokens() {
    return this.saved;
  }

  saveTokens(tokens: { access_token: string; token_type: string; scope?: string }) {
    this.saved = tokens;
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    const response = await fetch(url, { redirect: "manual" });
    const location = response.headers.get("location");
    if (response.status !== 302 || location === null)
      throw new Error(`authorize answered ${response.status}`);
    this.code = new URL(location).searchParams.get("code") ?? undefined;
  }

  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }

  codeVerifier() {
    return this.verifier;
  }

  saveDiscoveryState(state: OAuthDiscoveryState) {
    this.discovery = state;
  }

  discoveryState() {
    return this.discovery;
  }
}

export type Kind = "v1" | "v2-legacy" | "v2-modern";

/**
 * Connect the way an OAuth-capable client does: the first attempt is refused (401), the SDK
 * discovers the metadata and sends the user to authorize; the app hands the code back
 * (finishAuth) and connects again.
 */
export async function connectWithOAuth(kind: Kind, url: string, provider = new TestOAuthProvider()) {
  const make = () => {
    if (kind === "v1") {
      const transport = new HttpTransportV1(new URL(url), { authProvider: provider });
      return { client: new ClientV1({ name: `oauth-${kind}`, version: "1.0.0" }), transport };
    }
    const transport = new HttpTransportV2(new URL(url), { authProvider: provider });
    const client = new ClientV2(
      { name: `oauth-${kind}`, version: "1.0.0" },
      kind === "v2-modern" ? { versionNegotiation: { mode: { pin: MODERN } } } : {},
    );
    return { client, transport };
  };
  const first = make();
  const refused = await first.client.connect(first.transport as never).then(
    () => null,
    (error: unknown) => error,
  );
  if (!(refused instanceof UnauthorizedV1 || refused instanceof UnauthorizedV2)) {
    throw new Error(`expected the first connect to need authorization, got ${String(refused)}`);
  }
  if (provider.code === undefined) throw new Error("no authorization code came back");
  await first.transport.finishAuth(provider.code);
  await first.client.close().catch(() => {});
  const second = make();
  await second.client.connect(second.transport as never);
  return Object.assign(second.client, { http: second.transport, provider });
}

/** A JSON-RPC request as a one-off 2025-era POST (no session: served statelessly). */
export function rpc(method: string, params: Record<string, unknown> = {}, id = 1): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method, params });
}

/** POST `body` to /mcp with `token` as the bearer (none when undefined); `path` may add a query. */
export function post(url: string, token: string | undefined, body: string, path?: string) {
  const auth: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  return raw(url, {
    headers: postHeaders({ "mcp-protocol-version": "2025-06-18", ...auth }),
    body,
    ...(path === undefined ? {} : { path }),
  });
}

/** A parsed WWW-Authenticate Bearer challenge. */
export function challenge(header: string | string[] | undefined): Record<string, string> {
  const value = Array.isArray(header) ? header.join(", ") : (header ?? "");
  const params: Record<string, string> = {};
  if (!/^Bearer\b/i.test(value)) return params;
  for (const match of value.matchAll(/(\w+)="([^"]*)"/g)) params[match[1] as string] = match[2] as string;
  return params;
}
