/**
 * The two metadata documents of an OAuth resource server:
 *
 * - ours, RFC 9728 Protected Resource Metadata, at `/.well-known/oauth-protected-resource` and its
 *   path-suffixed form for the MCP endpoint (`/.well-known/oauth-protected-resource/mcp`): which
 *   resource this is, who issues its tokens, its scopes, how tokens are sent;
 * - the issuer's, RFC 8414 Authorization Server Metadata (or OpenID Connect discovery), read to find
 *   its `jwks_uri` and, when none is configured, its `introspection_endpoint`.
 */
import { log } from "../../log.js";
import { SUPPORTED_SCOPES } from "./scopes.js";

export const PRM_PATH = "/.well-known/oauth-protected-resource";

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: string[];
  resource_name: string;
}

export function protectedResourceMetadata(resource: string, issuer: string): ProtectedResourceMetadata {
  return {
    resource,
    authorization_servers: [issuer],
    scopes_supported: [...SUPPORTED_SCOPES],
    bearer_methods_supported: ["header"],
    resource_name: "ralph-mcp task queue",
  };
}

/** Whether `path` asks for our metadata: the root form, or any path-suffixed form ending in /mcp. */
export function isMetadataPath(path: string, mcpPath: string): boolean {
  const p = path.replace(/\/+$/, "");
  return p === PRM_PATH || (p.startsWith(`${PRM_PATH}/`) && p.endsWith(mcpPath));
}

/** The metadata URL clients are pointed at in challenges: the path-suffixed form of `resource`. */
export function metadataUrlFor(resource: string): string {
  const url = new URL(resource);
  return `${url.origin}${PRM_PATH}${url.pathname.replace(/\/+$/, "")}`;
}

export interface IssuerMetadata {
  issuer: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
}

/** Where RFC 8414 and OpenID Connect put the metadata of `issuer`, in the order to try them. */
export function issuerMetadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, "");
  const urls = [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}/.well-known/openid-configuration${path}`,
  ];
  if (path !== "") urls.push(`${url.origin}${path}/.well-known/openid-configuration`);
  return urls;
}

/**
 * Fetch the issuer's metadata from the first place that has it, and check that it names the same
 * issuer (RFC 8414 section 3.3: otherwise an attacker's document could point at its own keys).
 */
export async function discoverIssuer(issuer: string, timeoutMs = 5_000): Promise<IssuerMetadata> {
  const tried: string[] = [];
  for (const url of issuerMetadataUrls(issuer)) {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      tried.push(`${url} (${(error as Error).message})`);
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      tried.push(`${url} (HTTP ${response.status})`);
      continue;
    }
    const document = (await response.json().catch(() => null)) as Partial<IssuerMetadata> | null;
    if (document === null || typeof document !== "object") {
      tried.push(`${url} (not JSON)`);
      continue;
    }
    if (document.issuer !== issuer) {
      throw new Error(
        `The metadata at ${url} names the issuer "${String(document.issuer)}", not "${issuer}": ` +
          "set RALPH_OAUTH_ISSUER to exactly the issuer your authorization server's tokens carry.",
      );
    }
    log.debug({ url }, "authorization server metadata found");
    return document as IssuerMetadata;
  }
  throw new Error(
    `No authorization server metadata for ${issuer}; tried ${tried.join(", ")}. ` +
      "Check RALPH_OAUTH_ISSUER, or set RALPH_OAUTH_JWKS_URL to the issuer's key set.",
  );
}
