/**
 * Opaque access tokens, vouched for by the issuer through token introspection (RFC 7662): the
 * token is POSTed to the introspection endpoint (authenticated as this server's client with
 * client_secret_basic when a client id and secret are set) and the answer must say `active`,
 * name this resource in `aud`, name our issuer when it names one, and be inside `exp`/`nbf`.
 *
 * An active answer is reused for the same token for a short while (default 30 s, never past the
 * token's `exp`), so a busy client does not cost one introspection per request; a revoked token
 * is thus refused at most that long after its revocation.
 */
import { createHash } from "node:crypto";
import {
  audiencesOf,
  clientIdOf,
  isOurAudience,
  scopesOf,
  TokenRefused,
  type VerifiedToken,
} from "./token.js";

export interface IntrospectorOptions {
  url: string;
  issuer: string;
  resource: () => string;
  clientId: string | null;
  clientSecret: string | null;
  clockToleranceSeconds: number;
  cacheMs: number;
}

const MAX_CACHED = 1_000;

export class Introspector {
  private readonly cache = new Map<string, { token: VerifiedToken; until: number }>();

  constructor(private readonly options: IntrospectorOptions) {}

  async verify(token: string): Promise<VerifiedToken> {
    const key = createHash("sha256").update(token).digest("base64url");
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return cached.token;
    this.cache.delete(key);
    const claims = await this.ask(token);
    const verified = this.check(claims);
    const until = Math.min(
      Date.now() + this.options.cacheMs,
      verified.expiresAt === undefined ? Number.POSITIVE_INFINITY : verified.expiresAt * 1000,
    );
    if (this.options.cacheMs > 0) {
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, { token: verified, until });
    }
    return verified;
  }

  private async ask(token: string): Promise<Record<string, unknown>> {
    const { url, clientId, clientSecret } = this.options;
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    };
    const body = new URLSearchParams({ token, token_type_hint: "access_token" });
    if (clientId !== null && clientSecret !== null) {
      const pair = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString("base64")}`;
    } else if (clientId !== null) body.set("client_id", clientId);
    let response: Response;
    try {
      response = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(5_000) });
    } catch (error) {
      throw new TokenRefused(
        `The introspection endpoint could not be reached (${(error as Error).message}); try again shortly.`,
        503,
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new TokenRefused(
        `The introspection endpoint answered HTTP ${response.status}; check RALPH_OAUTH_CLIENT_ID and RALPH_OAUTH_CLIENT_SECRET.`,
        503,
      );
    }
    const claims = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    if (claims === null || typeof claims !== "object") {
      throw new TokenRefused("The introspection endpoint did not answer with JSON.", 503);
    }
    return claims;
  }

  private check(claims: Record<string, unknown>): VerifiedToken {
    const { issuer, clockToleranceSeconds } = this.options;
    const resource = this.options.resource();
    if (claims.active !== true)
      throw new TokenRefused("The token is not active (expired, revoked or unknown): get a new one.");
    if (claims.iss !== undefined && claims.iss !== issuer) {
      throw new TokenRefused(
        `The token was issued by ${String(claims.iss)}; this server accepts tokens from ${issuer}.`,
      );
    }
    const audiences = audiencesOf(claims);
    if (!audiences.some((aud) => isOurAudience(aud, resource))) {
      throw new TokenRefused(
        `The token is for ${audiences.length > 0 ? audiences.join(", ") : "no audience"}, not this server: ` +
          `ask the authorization server for a token with resource=${resource}.`,
      );
    }
    const now = Date.now() / 1000;
    const exp = typeof claims.exp === "number" ? claims.exp : undefined;
    if (exp !== undefined && exp + clockToleranceSeconds <= now)
      throw new TokenRefused("The token has expired: get a new one.");
    if (typeof claims.nbf === "number" && claims.nbf - clockToleranceSeconds > now) {
      throw new TokenRefused("The token is not valid yet (nbf is in the future).");
    }
    const clientId = clientIdOf(claims);
    const subject = typeof claims.sub === "string" && claims.sub !== "" ? claims.sub : clientId;
    if (subject === "")
      throw new TokenRefused("The token names neither a subject (sub) nor a client (client_id).");
    return { subject, clientId, scopes: scopesOf(claims), expiresAt: exp };
  }
}
