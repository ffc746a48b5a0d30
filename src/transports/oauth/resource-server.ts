/**
 * The HTTP server as an OAuth 2.1 resource server (the MCP authorization spec): it serves its
 * Protected Resource Metadata, and checks the access token of every request to /mcp before the
 * request is read:
 *
 *   a token in the query string        → 400 invalid_request (tokens go in the Authorization header)
 *   no token (or not a Bearer one)     → 401 Bearer resource_metadata="…", scope="tasks:read tasks:write"
 *   the static RALPH_HTTP_TOKEN        → passes, with every scope (the simple set-up's token)
 *   a JWT, or an opaque token when introspection is configured → its subject and scopes (AuthInfo)
 *   anything else                      → 401 Bearer error="invalid_token", error_description="…"
 *   the issuer cannot be asked         → 503, Retry-After
 *
 * Scopes are checked later, per call (scopes.ts): 403 insufficient_scope.
 */
import {
  type AuthInfo,
  bearerAuthChallengeResponse,
  OAuthError,
  OAuthErrorCode,
  type ScopeChallenge,
} from "@modelcontextprotocol/server";
import { log } from "../../log.js";
import type { ResolvedOAuth } from "./config.js";
import { Introspector } from "./introspection.js";
import { JwtVerifier, looksLikeJwt } from "./jwt.js";
import {
  discoverIssuer,
  type IssuerMetadata,
  isMetadataPath,
  metadataUrlFor,
  protectedResourceMetadata,
} from "./metadata.js";
import { DEFAULT_CHALLENGE_SCOPES } from "./scopes.js";
import { TokenRefused, type VerifiedToken } from "./token.js";

/** The subject of the token a request came with, as AuthInfo carries it. */
export function subjectOf(authInfo: AuthInfo | undefined): string | undefined {
  const subject = authInfo?.extra?.subject;
  return typeof subject === "string" ? subject : undefined;
}

export class ResourceServer {
  private publicUrl: string | null;
  private issuerMetadata: Promise<IssuerMetadata> | null = null;
  private readonly jwt: JwtVerifier;
  private readonly introspector: Introspector | null;

  constructor(
    private readonly config: ResolvedOAuth,
    private readonly mcpPath: string,
  ) {
    this.publicUrl = config.publicUrl;
    this.jwt = new JwtVerifier({
      issuer: config.issuer,
      resource: () => this.resource,
      jwksUrl: async () => config.jwksUrl ?? this.jwksFromMetadata(),
      clockToleranceSeconds: config.clockToleranceSeconds,
      cooldownMs: config.jwksCooldownMs,
    });
    this.introspector =
      config.introspectionUrl === null ? null : this.introspectorAt(config.introspectionUrl);
  }

  /** Without RALPH_PUBLIC_URL (loopback only): the address the server listens on, e.g. http://127.0.0.1:8787. */
  bindTo(origin: string): void {
    this.publicUrl ??= origin.replace(/\/+$/, "");
  }

  /** The resource tokens must be issued for: the public URL of the MCP endpoint. */
  get resource(): string {
    if (this.publicUrl === null) throw new Error("ResourceServer used before bindTo()");
    return `${this.publicUrl}${this.mcpPath}`;
  }

  get metadataUrl(): string {
    return metadataUrlFor(this.resource);
  }

  /** The names clients reach this server by, for the Host door. */
  get publicHost(): string | null {
    return this.config.publicUrl === null ? null : new URL(this.config.publicUrl).hostname;
  }

  isMetadataPath(path: string): boolean {
    return isMetadataPath(path, this.mcpPath);
  }

  metadataResponse(method: string | undefined): Response {
    if (method !== "GET" && method !== "HEAD") {
      return Response.json({ error: "method not allowed" }, { status: 405, headers: { allow: "GET" } });
    }
    return Response.json(protectedResourceMetadata(this.resource, this.config.issuer), {
      headers: { "cache-control": "public, max-age=300", "access-control-allow-origin": "*" },
    });
  }

  /** Look the issuer up now, so a wrong RALPH_OAUTH_ISSUER shows in the log at start, not at the first client. */
  warmUp(): void {
    if (this.config.jwksUrl !== null) return;
    this.metadata().catch((error) => log.error({ err: error }, "the authorization server's metadata"));
  }

  /**
   * The request's credentials: its AuthInfo, undefined when it came with the static token, or
   * the refusal to send. `url` is the request target (path and query).
   */
  async authenticate(
    authorization: string | undefined,
    url: string,
    staticTokenAccepted: boolean,
  ): Promise<AuthInfo | undefined | Response> {
    if (hasQueryToken(url)) {
      return this.refusal(
        400,
        "invalid_request",
        "Access tokens are accepted only in the Authorization header, never in the URL (where logs and proxies keep them).",
      );
    }
    if (staticTokenAccepted) return undefined;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "");
    if (match?.[1] === undefined) {
      const scope = DEFAULT_CHALLENGE_SCOPES.join(" ");
      const message =
        authorization === undefined
          ? "This server needs an OAuth access token: `Authorization: Bearer <token>`."
          : "The Authorization header is not a Bearer token.";
      return Response.json(
        { error: "unauthorized", error_description: message },
        {
          status: 401,
          headers: { "WWW-Authenticate": `Bearer resource_metadata="${this.metadataUrl}", scope="${scope}"` },
        },
      );
    }
    const token = match[1];
    try {
      const verified = await this.verify(token);
      return {
        token,
        clientId: verified.clientId,
        scopes: verified.scopes,
        ...(verified.expiresAt === undefined ? {} : { expiresAt: verified.expiresAt }),
        resource: new URL(this.resource),
        resourceMetadataUrl: this.metadataUrl,
        extra: { subject: verified.subject },
      };
    } catch (error) {
      if (!(error instanceof TokenRefused)) throw error;
      log.info({ reason: error.message }, "refused an access token");
      if (error.status === 503) {
        return Response.json(
          { error: "temporarily_unavailable", error_description: error.message },
          { status: 503, headers: { "retry-after": "5" } },
        );
      }
      return bearerAuthChallengeResponse(
        new OAuthError(OAuthErrorCode.InvalidToken, quotable(error.message)),
        {
          resourceMetadataUrl: this.metadataUrl,
        },
      );
    }
  }

  /** The 403 for a call beyond the token's scope (the same answer the SDK gives for tools). */
  insufficientScope(challenge: ScopeChallenge): Response {
    return bearerAuthChallengeResponse(
      new OAuthError(OAuthErrorCode.InsufficientScope, challenge.errorDescription ?? "Insufficient scope"),
      { requiredScopes: [...challenge.scopes], resourceMetadataUrl: this.metadataUrl },
    );
  }

  private async verify(token: string): Promise<VerifiedToken> {
    if (looksLikeJwt(token)) return this.jwt.verify(token);
    // Only a configured introspection endpoint is asked (never one found in the issuer's
    // metadata): tokens are not sent anywhere the operator did not name.
    const introspector = this.introspector;
    if (introspector === null) {
      throw new TokenRefused(
        "The token is not a JWT, and this server has no introspection endpoint to ask about it " +
          "(set RALPH_OAUTH_INTROSPECTION_URL, or have the authorization server issue JWT access tokens).",
      );
    }
    return introspector.verify(token);
  }

  private refusal(status: 400 | 401, error: string, description: string): Response {
    const header = `Bearer error="${error}", error_description="${quotable(description)}", resource_metadata="${this.metadataUrl}"`;
    return Response.json(
      { error, error_description: description },
      { status, headers: { "WWW-Authenticate": header } },
    );
  }

  private metadata(): Promise<IssuerMetadata> {
    this.issuerMetadata ??= discoverIssuer(this.config.issuer).catch((error) => {
      this.issuerMetadata = null; // ask again next time: the issuer may be back
      throw error;
    });
    return this.issuerMetadata;
  }

  private async jwksFromMetadata(): Promise<string> {
    let metadata: IssuerMetadata;
    try {
      metadata = await this.metadata();
    } catch (error) {
      throw new TokenRefused((error as Error).message, 503);
    }
    if (typeof metadata.jwks_uri !== "string") {
      throw new TokenRefused(
        `The metadata of ${this.config.issuer} names no jwks_uri: set RALPH_OAUTH_JWKS_URL to its key set.`,
        503,
      );
    }
    return metadata.jwks_uri;
  }

  private introspectorAt(url: string): Introspector {
    return new Introspector({
      url,
      issuer: this.config.issuer,
      resource: () => this.resource,
      clientId: this.config.clientId,
      clientSecret: this.config.clientSecret,
      clockToleranceSeconds: this.config.clockToleranceSeconds,
      cacheMs: this.config.introspectionCacheMs,
    });
  }
}

/** Whether the request target carries `access_token` in its query (RFC 6750 section 2.3, refused here). */
export function hasQueryToken(target: string): boolean {
  const query = target.split("#")[0]?.split("?").slice(1).join("?") ?? "";
  return new URLSearchParams(query).has("access_token");
}

/** RFC 6750 quoted values: printable ASCII without `"` or `\`. */
function quotable(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, "?");
}
