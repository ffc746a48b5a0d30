/**
 * A stand-in OAuth 2.1 authorization server on 127.0.0.1 for the OAuth tests, with keys made by
 * jose: RFC 8414 metadata, a JWKS (rotatable, its fetches counted), dynamic client registration,
 * an authorization endpoint that approves at once (PKCE S256 required), a token endpoint that
 * checks the verifier and issues a JWT for the `resource` asked for, and RFC 7662 introspection
 * for opaque tokens it was told about. `sign()` makes any token a test needs.
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";

type Key = Awaited<ReturnType<typeof generateKeyPair>>;

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  scope: string;
  resource: string;
}

export interface StandInOptions {
  /** The subject tokens from the authorization flow are for (default "alice"). */
  subject?: string;
}

export class StandInAuthorizationServer {
  issuer = "";
  /** How many times the JWKS was fetched. */
  jwksFetches = 0;
  /** Every introspection request's token. */
  readonly introspected: string[] = [];
  /** The authorization requests, as the client sent them. */
  readonly authorizations: URLSearchParams[] = [];
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private keys: Array<{ kid: string; key: Key }> = [];
  private readonly grants = new Map<string, Grant>();
  private readonly opaque = new Map<string, Record<string, unknown>>();
  private readonly subject: string;

  private constructor(options: StandInOptions) {
    this.subject = options.subject ?? "alice";
  }

  static async start(options: StandInOptions = {}): Promise<StandInAuthorizationServer> {
    const as = new StandInAuthorizationServer(options);
    await as.rotate();
    await new Promise<void>((resolve) => as.server.listen(0, "127.0.0.1", resolve));
    as.issuer = `http://127.0.0.1:${(as.server.address() as AddressInfo).port}`;
    return as;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  get jwksUrl(): string {
    return `${this.issuer}/jwks`;
  }

  get introspectionUrl(): string {
    return `${this.issuer}/introspect`;
  }

  /** Publish a new signing key in place of the old ones; returns its kid. */
  async rotate(): Promise<string> {
    const kid = `key-${this.keys.length + 1}`;
    this.keys = [{ kid, key: await generateKeyPair("ES256", { extractable: true }) }];
    return kid;
  }

  /**
   * A signed access token: by default valid now for five minutes, for `audience`, from this
   * issuer, for "alice", with `scope`. `claims` override any of them (undefined removes one).
   */
  async sign(
    audience: string,
    scope: string,
    claims: Record<string, unknown> = {},
    options: { key?: Key; kid?: string } = {},
  ): Promise<string> {
    const current = this.keys[0] as { kid: string; key: Key };
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      iss: this.issuer,
      aud: audience,
      sub: this.subject,
      client_id: "test-client",
      scope,
      iat: now,
      exp: now + 300,
      jti: randomUUID(),
      ...claims,
    };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    return new SignJWT(payload as JWTPayload)
      .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: options.kid ?? current.kid })
      .sign((options.key ?? current.key).privateKey);
  }

  /** An opaque token whose introspection answers `claims` (plus active: true unless given). */
  opaqueToken(claims: Record<string, unknown>): string {
    const token = randomUUID().replace(/-/g, "");
    this.opaque.set(token, { active: true, ...claims });
    return token;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.issuer);
    const body = await readBody(req);
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    switch (url.pathname) {
      case "/.well-known/oauth-authorization-server":
        return json(200, {
          issuer: this.issuer,
          authorization_endpoint: `${this.issuer}/authorize`,
          token_endpoint: `${this.issuer}/token`,
          registration_endpoint: `${this.issuer}/register`,
          jwks_uri: this.jwksUrl,
          introspection_endpoint: this.introspectionUrl,
          response_types_supported: ["code"],
          grant_types_supported: ["authorization_code"],
          code_challenge_methods_supported: ["S256"],
          token_endpoint_auth_methods_supported: ["none"],
          scopes_supported: ["tasks:read", "tasks:write", "runs:execute"],
        });
      case "/jwks": {
        this.jwksFetches++;
        const keys: JWK[] = [];
        for (const { kid, key } of this.keys)
          keys.push({ ...(await exportJWK(key.publicKey)), kid, alg: "ES256", use: "sig" });
        return json(200, { keys });
      }
      case "/register": {
        const metadata = JSON.parse(body) as Record<string, unknown>;
        return json(201, {
          ...metadata,
          client_id: `client-${randomUUID()}`,
          client_id_issued_at: Math.floor(Date.now() / 1000),
        });
      }
      case "/authorize": {
        this.authorizations.push(url.searchParams);
        const p = url.searchParams;
        const redirectUri = p.get("redirect_uri") ?? "";
        if (
          p.get("response_type") !== "code" ||
          p.get("code_challenge_method") !== "S256" ||
          !p.get("code_challenge")
        ) {
          return json(400, { error: "invalid_request", error_description: "PKCE with S256 is required" });
        }
        const code = randomUUID();
        this.grants.set(code, {
          clientId: p.get("client_id") ?? "",
          redirectUri,
          challenge: p.get("code_challenge") ?? "",
          scope: p.get("scope") ?? "",
          resource: p.get("resource") ?? "",
        });
        const target = new URL(redirectUri);
        target.searchParams.set("code", code);
        const state = p.get("state");
        if (state !== null) target.searchParams.set("state", state);
        res.writeHead(302, { location: target.href });
        res.end();
        return;
      }
      case "/token": {
        const p = new URLSearchParams(body);
        const grant = this.grants.get(p.get("code") ?? "");
        this.grants.delete(p.get("code") ?? "");
        const verifier = p.get("code_verifier") ?? "";
        const challenge = createHash("sha256").update(verifier).digest("base64url");
        if (
          p.get("grant_type") !== "authorization_code" ||
          !grant ||
          challenge !== grant.challenge ||
          p.get("redirect_uri") !== grant.redirectUri
        ) {
          return json(400, { error: "invalid_grant" });
        }
        const resource = p.get("resource") ?? grant.resource;
        const token = await this.sign(resource, grant.scope, { client_id: grant.clientId });
        return json(200, { access_token: token, token_type: "Bearer", expires_in: 300, scope: grant.scope });
      }
      case "/introspect": {
        const token = new URLSearchParams(body).get("token") ?? "";
        this.introspected.push(token);
        return json(200, this.opaque.get(token) ?? { active: false });
      }
      default:
        return json(404, { error: "not_found" });
    }
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}
