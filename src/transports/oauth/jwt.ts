/**
 * Access tokens that are JWTs, checked here with jose: the signature against the issuer's key set
 * (JWKS), `iss` equal to the issuer, `aud` naming this resource (RFC 8707: a token meant for
 * another server is refused, never passed on), `exp` and `nbf` with a small leeway, and `sub`.
 * Only asymmetric algorithms are accepted (never `none`, never an HMAC keyed by a public key).
 *
 * The key set is fetched once and cached by jose's remote key set: a token signed with a key it
 * does not know (`kid` after a rotation) makes it fetch the set again, but at most once per
 * cooldown, so a stream of made-up `kid`s cannot turn into a stream of requests to the issuer.
 */
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from "jose";
import {
  audiencesOf,
  clientIdOf,
  isOurAudience,
  scopesOf,
  TokenRefused,
  type VerifiedToken,
} from "./token.js";

export const ACCEPTED_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];

export interface JwtVerifierOptions {
  issuer: string;
  /** The resource tokens must be issued for (RALPH_PUBLIC_URL + /mcp). */
  resource: () => string;
  /** Where the key set is (configured, or found in the issuer's metadata). */
  jwksUrl: () => Promise<string>;
  clockToleranceSeconds: number;
  cooldownMs: number;
}

/** Whether `token` has the shape of a signed JWT (three base64url parts). */
export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
}

/** The key set could not be fetched (the issuer is down, or answers with something else). */
class KeysUnavailable extends Error {}

type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;
type KeySet = (...args: Parameters<RemoteKeySet>) => ReturnType<RemoteKeySet>;

export class JwtVerifier {
  private keys: KeySet | null = null;

  constructor(private readonly options: JwtVerifierOptions) {}

  private async keySet(): Promise<KeySet> {
    if (this.keys === null) {
      const remote = createRemoteJWKSet(new URL(await this.options.jwksUrl()), {
        cooldownDuration: this.options.cooldownMs,
        timeoutDuration: 5_000,
      });
      this.keys ??= async (header, token) => {
        try {
          return await remote(header, token);
        } catch (error) {
          // What the key set itself decides stays as it is; anything else is the fetch failing.
          if (
            error instanceof errors.JWKSNoMatchingKey ||
            error instanceof errors.JWKSMultipleMatchingKeys ||
            error instanceof errors.JOSENotSupported
          )
            throw error;
          throw new KeysUnavailable((error as Error).message, { cause: error });
        }
      };
    }
    return this.keys;
  }

  async verify(token: string): Promise<VerifiedToken> {
    const { issuer, clockToleranceSeconds } = this.options;
    const resource = this.options.resource();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.keySet(), {
        issuer,
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance: clockToleranceSeconds,
        requiredClaims: ["exp", "sub"],
      }));
    } catch (error) {
      throw refusal(error, issuer);
    }
    const claims = payload as Record<string, unknown>;
    const audiences = audiencesOf(claims);
    if (!audiences.some((aud) => isOurAudience(aud, resource))) {
      throw new TokenRefused(
        `The token is for ${audiences.length > 0 ? audiences.join(", ") : "no audience"}, not this server: ` +
          `ask the authorization server for a token with resource=${resource}.`,
      );
    }
    return {
      subject: payload.sub as string,
      clientId: clientIdOf(claims),
      scopes: scopesOf(claims),
      expiresAt: payload.exp,
    };
  }
}

/** jose's reasons, in words that say what to do. */
function refusal(error: unknown, issuer: string): TokenRefused {
  if (error instanceof TokenRefused) return error;
  if (error instanceof errors.JWTExpired) return new TokenRefused("The token has expired: get a new one.");
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss") {
      return new TokenRefused(
        `The token was issued by ${String(error.payload.iss)}; this server accepts tokens from ${issuer}.`,
      );
    }
    if (error.claim === "nbf") return new TokenRefused("The token is not valid yet (nbf is in the future).");
    return new TokenRefused(`The token's ${error.claim} claim is missing or wrong (${error.reason}).`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new TokenRefused(
      `The token's algorithm is not accepted; use one of ${ACCEPTED_ALGORITHMS.join(", ")}.`,
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new TokenRefused("The token is signed with a key the issuer does not publish (unknown kid).");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenRefused("The token's signature does not verify against the issuer's keys.");
  }
  if (error instanceof KeysUnavailable) {
    return new TokenRefused(
      `The issuer's signing keys could not be fetched (${error.message}); try again shortly.`,
      503,
    );
  }
  if (error instanceof errors.JOSEError)
    return new TokenRefused(`The token is not a valid JWT (${error.message}).`);
  return new TokenRefused(`The token could not be checked: ${(error as Error).message}.`, 503);
}
