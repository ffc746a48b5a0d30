/**
 * The doors of the HTTP server, checked in this order before a request reaches MCP:
 *
 * 1. Host: the name the client used must be one of ours (loopback names, the bound address,
 *    configured names). A browser tricked by DNS rebinding sends the attacker's name here.
 * 2. Origin: a browser page may only call us from an allowed origin (none but loopback by
 *    default). Clients that are not browsers send no Origin and pass.
 * 3. Bearer token, when RALPH_HTTP_TOKEN is set: compared in constant time (both sides hashed
 *    first, so neither the length nor a prefix of the token leaks through timing).
 *
 * Strangers at doors 1 and 2 get 403, at door 3 401. With OAuth (RALPH_OAUTH_ISSUER), door 3 is
 * the resource server of oauth/resource-server.ts, which also accepts the static token. A
 * non-loopback bind with neither is refused before anything listens (`assertBindable`).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { hostname as machineName, networkInterfaces } from "node:os";
import { validateHostHeader, validateOriginHeader } from "@modelcontextprotocol/server";
import { ValidationError } from "../domain/errors.js";

/** The names loopback is reached by, as URL hostnames (IPv6 in brackets). */
export const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"] as const;

/** Whether binding `host` keeps the server on this machine. */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "");
  return (
    h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h)
  );
}

/** An address or name as a URL hostname: IPv6 literals get brackets, names are lowercased. */
export function asHostname(value: string): string {
  const v = value.trim().toLowerCase();
  if (v.startsWith("[")) return v;
  return isIP(v) === 6 ? `[${v}]` : v;
}

/**
 * An allowed-origin entry as the SDK's validator wants it: a full origin
 * (`https://app.example.com`) becomes its hostname; `<scheme>://*` (browser extensions) and bare
 * hostnames stay as they are.
 */
export function asOriginEntry(value: string): string {
  const v = value.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\/\*$/i.test(v)) return v.toLowerCase();
  if (v.includes("://")) {
    try {
      return new URL(v).hostname.toLowerCase();
    } catch {
      throw new ValidationError(`Allowed origin "${v}" is not a URL or a hostname.`);
    }
  }
  return asHostname(v);
}

/** Comma- or space-separated list from an environment variable. */
export function listFromEnv(value: string | undefined): string[] {
  return (value ?? "")
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * Host names a request may carry: loopback names, plus, for a non-loopback bind, the bound
 * address, or (on a wildcard bind) this machine's name and interface addresses; plus `extra`.
 */
export function defaultAllowedHosts(bindHost: string, extra: readonly string[] = []): string[] {
  const names = new Set<string>(LOOPBACK_NAMES);
  const bind = bindHost.trim().toLowerCase();
  if (bind === "0.0.0.0" || bind === "::" || bind === "[::]") {
    names.add(asHostname(machineName()));
    for (const list of Object.values(networkInterfaces())) {
      for (const address of list ?? [])
        names.add(asHostname(address.address.split("%")[0] ?? address.address));
    }
  } else if (bind !== "") {
    names.add(asHostname(bind));
  }
  for (const name of extra) names.add(asHostname(name));
  return [...names];
}

export function defaultAllowedOrigins(extra: readonly string[] = []): string[] {
  return [...new Set<string>([...LOOPBACK_NAMES, ...extra.map(asOriginEntry)])];
}

/** Refuse to serve a queue to the network without a token: the static one, or OAuth (`oauth`). */
export function assertBindable(host: string, token: string | undefined, oauth = false): void {
  if (isLoopback(host) || oauth || (token !== undefined && token !== "")) return;
  throw new ValidationError(
    `Refusing to listen on ${host} without a token: anyone who can reach that address could read and change the queue. ` +
      "Set RALPH_HTTP_TOKEN in the server's environment (for example RALPH_HTTP_TOKEN=$(openssl rand -hex 32)) " +
      "and give clients the header `Authorization: Bearer <token>`, or have an OAuth authorization server issue tokens " +
      "(RALPH_OAUTH_ISSUER and RALPH_PUBLIC_URL), or bind a loopback address (--host 127.0.0.1).",
  );
}

export interface Refusal {
  status: 400 | 401 | 403;
  message: string;
  headers?: Record<string, string>;
}

export interface DoorOptions {
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
  token?: string | undefined;
}

/** RFC 9110 Host: a name, an IPv4 address or a bracketed IPv6 address, then an optional port. */
const HOST_SYNTAX =
  /^(?:[A-Za-z0-9._~!$&'()*+,;=%-]+|\[[0-9A-Fa-f:.]+(?:%25[A-Za-z0-9._~-]+)?\])(?::\d{0,5})?$/;

export class Doors {
  private readonly hosts: string[];
  private readonly origins: string[];
  private readonly tokenDigest: Buffer | null;

  constructor(options: DoorOptions) {
    this.hosts = [...options.allowedHosts];
    this.origins = [...options.allowedOrigins];
    this.tokenDigest = options.token ? digest(options.token) : null;
  }

  get requiresToken(): boolean {
    return this.tokenDigest !== null;
  }

  /** Doors 1 and 2: whether the Host and Origin headers are ours. */
  checkHostAndOrigin(host: string | undefined, origin: string | undefined): Refusal | null {
    if (host !== undefined && !HOST_SYNTAX.test(host)) {
      // Userinfo (`evil.example@127.0.0.1`), a path or spaces: the SDK's check reads past them to
      // the address after them, and the request URL built from them is refused later with a 500.
      return {
        status: 400,
        message: `Bad Request: the Host header must be a host name or address with an optional port, nothing else (got "${host.slice(0, 100)}").`,
      };
    }
    const h = validateHostHeader(host, this.hosts);
    if (!h.ok) {
      return {
        status: 403,
        message: `Forbidden: ${h.message}. This server answers to ${this.hosts.join(", ")}; add a name with --allowed-host or RALPH_HTTP_ALLOWED_HOSTS.`,
      };
    }
    const o = validateOriginHeader(origin, this.origins);
    if (!o.ok) {
      return {
        status: 403,
        message: `Forbidden: ${o.message}. Add an origin with --allowed-origin or RALPH_HTTP_ALLOWED_ORIGINS.`,
      };
    }
    return null;
  }

  /** Whether `origin` is present and allowed (so CORS headers may name it). */
  allowsOrigin(origin: string | undefined): boolean {
    return origin !== undefined && origin !== "" && validateOriginHeader(origin, this.origins).ok;
  }

  /** Door 3: the bearer token, when one is required. */
  checkToken(authorization: string | undefined): Refusal | null {
    if (this.tokenDigest === null) return null;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "");
    // Hash whatever was given (or nothing), so a missing header costs the same as a wrong one.
    const given = digest(match?.[1] ?? "");
    if (timingSafeEqual(given, this.tokenDigest) && match !== null) return null;
    return {
      status: 401,
      message:
        authorization === undefined
          ? "Unauthorized: this server requires the header `Authorization: Bearer <token>` (the RALPH_HTTP_TOKEN it was started with)."
          : "Unauthorized: the bearer token is not the one this server was started with.",
      headers: { "WWW-Authenticate": 'Bearer realm="ralph-mcp"' },
    };
  }
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
