/**
 * What a verified access token tells us, however it was verified (a JWT checked here, or an
 * opaque token the issuer vouched for through introspection), and how a refusal is described.
 */

export interface VerifiedToken {
  /** Who acts: the token's `sub` (for a client acting for itself, its client id). */
  subject: string;
  clientId: string;
  scopes: string[];
  /** Seconds since the epoch, when the token says. */
  expiresAt?: number | undefined;
}

/**
 * A token refused. `status` 401 with `invalid_token` (the client should get a new one); 503 when
 * the authorization server could not be asked (try again later).
 */
export class TokenRefused extends Error {
  constructor(
    message: string,
    readonly status: 401 | 503 = 401,
  ) {
    super(message);
    this.name = "TokenRefused";
  }
}

/** The scopes of a token's claims: RFC 9068 `scope` (space-separated), or `scp` (a list or a string). */
export function scopesOf(claims: Record<string, unknown>): string[] {
  const raw = claims.scope ?? claims.scp;
  const list = Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(" ") : [];
  return list.filter((s): s is string => typeof s === "string" && s !== "");
}

/** The client a token was issued to: `client_id` (RFC 9068, RFC 7662), else `azp` or `cid`. */
export function clientIdOf(claims: Record<string, unknown>): string {
  for (const name of ["client_id", "azp", "cid"]) {
    const value = claims[name];
    if (typeof value === "string" && value !== "") return value;
  }
  return "";
}

export function audiencesOf(claims: Record<string, unknown>): string[] {
  const aud = claims.aud;
  if (typeof aud === "string") return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === "string") : [];
}

/** Whether `audience` is the resource, ignoring one trailing slash (RFC 8707 resource indicators). */
export function isOurAudience(audience: string, resource: string): boolean {
  return audience.replace(/\/$/, "") === resource.replace(/\/$/, "");
}
