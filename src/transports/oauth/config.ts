/**
 * How the HTTP server is told to be an OAuth 2.1 resource server, from the environment
 * (RALPH_OAUTH_ISSUER and friends) or from startHttpServer's options, checked once before
 * anything listens. Every setting that is wrong is named, with what to set instead.
 */
import { ValidationError } from "../../domain/errors.js";
import { isLoopback } from "../http-doors.js";

export interface OAuthOptions {
  /** The authorization server's issuer identifier, exactly as its tokens' `iss` say it. */
  issuer: string;
  /**
   * This server's public base URL (`https://ralph.example.com`); the resource clients ask tokens
   * for is this plus `/mcp`. Default, on a loopback bind only: the address the server listens on.
   */
  publicUrl?: string | undefined;
  /** Where the issuer's signing keys are; default: `jwks_uri` from the issuer's metadata. */
  jwksUrl?: string | undefined;
  /** RFC 7662 token introspection, for tokens that are not JWTs (opaque ones). Default: none. */
  introspectionUrl?: string | undefined;
  /** How this server authenticates to the introspection endpoint (client_secret_basic). */
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  /** Leeway for `exp` and `nbf`, in seconds (default 30). */
  clockToleranceSeconds?: number | undefined;
  /** After fetching the keys, no new fetch for this long, unknown `kid` or not (default 30 s). */
  jwksCooldownMs?: number | undefined;
  /** How long an introspection answer is reused for the same token (default 30 s; 0: never). */
  introspectionCacheMs?: number | undefined;
}

export interface ResolvedOAuth {
  issuer: string;
  /** Public base URL without a trailing slash, or null when it is the bound address (set later). */
  publicUrl: string | null;
  jwksUrl: string | null;
  introspectionUrl: string | null;
  clientId: string | null;
  clientSecret: string | null;
  clockToleranceSeconds: number;
  jwksCooldownMs: number;
  introspectionCacheMs: number;
}

/** Read the OAuth settings from the environment; undefined when RALPH_OAUTH_ISSUER is not set. */
export function oauthFromEnv(env: NodeJS.ProcessEnv = process.env): OAuthOptions | undefined {
  const value = (name: string) => env[name]?.trim() || undefined;
  const issuer = value("RALPH_OAUTH_ISSUER");
  if (issuer === undefined) {
    for (const name of ["RALPH_OAUTH_JWKS_URL", "RALPH_OAUTH_INTROSPECTION_URL"]) {
      if (value(name) !== undefined)
        throw new ValidationError(`${name} is set but RALPH_OAUTH_ISSUER is not: set the issuer too.`);
    }
    return undefined;
  }
  return {
    issuer,
    publicUrl: value("RALPH_PUBLIC_URL"),
    jwksUrl: value("RALPH_OAUTH_JWKS_URL"),
    introspectionUrl: value("RALPH_OAUTH_INTROSPECTION_URL"),
    clientId: value("RALPH_OAUTH_CLIENT_ID"),
    clientSecret: value("RALPH_OAUTH_CLIENT_SECRET"),
  };
}

/** An http(s) URL; plain http only for loopback (a token sent in clear elsewhere is a leaked token). */
function webUrl(name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError(
      `${name} "${value}" is not a URL; give a full one, like https://auth.example.com.`,
    );
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname))) {
    throw new ValidationError(
      `${name} "${value}" must use https (plain http is accepted only for loopback addresses).`,
    );
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new ValidationError(`${name} "${value}" must not carry a query, a fragment or credentials.`);
  }
  return url;
}

export function resolveOAuth(options: OAuthOptions, bindHost: string): ResolvedOAuth {
  webUrl("RALPH_OAUTH_ISSUER", options.issuer);
  let publicUrl: string | null = null;
  if (options.publicUrl !== undefined && options.publicUrl !== "") {
    publicUrl = webUrl("RALPH_PUBLIC_URL", options.publicUrl).href.replace(/\/+$/, "");
  } else if (!isLoopback(bindHost)) {
    throw new ValidationError(
      `RALPH_OAUTH_ISSUER is set but RALPH_PUBLIC_URL is not: set it to the URL clients reach this server at ` +
        `(for example RALPH_PUBLIC_URL=https://ralph.example.com); tokens must be issued for <that URL>/mcp.`,
    );
  }
  if (options.clientSecret && !options.clientId) {
    throw new ValidationError("RALPH_OAUTH_CLIENT_SECRET is set but RALPH_OAUTH_CLIENT_ID is not: set both.");
  }
  const tolerance = options.clockToleranceSeconds ?? 30;
  if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > 300) {
    throw new ValidationError("The clock tolerance must be from 0 to 300 seconds.");
  }
  return {
    issuer: options.issuer,
    publicUrl,
    jwksUrl: options.jwksUrl ? webUrl("RALPH_OAUTH_JWKS_URL", options.jwksUrl).href : null,
    introspectionUrl: options.introspectionUrl
      ? webUrl("RALPH_OAUTH_INTROSPECTION_URL", options.introspectionUrl).href
      : null,
    clientId: options.clientId ?? null,
    clientSecret: options.clientSecret ?? null,
    clockToleranceSeconds: tolerance,
    jwksCooldownMs: options.jwksCooldownMs ?? 30_000,
    introspectionCacheMs: options.introspectionCacheMs ?? 30_000,
  };
}
