/**
 * Which OAuth scope each part of the MCP surface needs, decided in this one file:
 *
 *   tasks:read    resources (every task:// and ui:// read), read-only tools, subscriptions,
 *                 argument completion (it names task ids)
 *   tasks:write   every tool that is not read-only
 *   runs:execute  run_orchestrator: starting agents is the most dangerous thing the server does
 *
 * A tool's scope follows from its annotations (`readOnlyHint`), with TOOL_EXCEPTIONS for the tools
 * whose danger the annotations do not tell. Nothing here names the ordinary tools, so a tool added
 * later gets its scope from the annotations it is registered with.
 *
 * `tools/list`, `resources/list`, `prompts/*`, `initialize` and `ping` need no particular scope
 * (any valid token): a client may see what exists before asking for more. A call beyond the
 * token's scope is refused before it runs, with HTTP 403 and
 * `WWW-Authenticate: Bearer error="insufficient_scope", scope="…", resource_metadata="…"`: the SDK
 * does that for tools and resources from the `scopeChallenge` set here, and `methodChallenge()`
 * for the methods that name no tool or resource.
 */
import type {
  AuthInfo,
  McpServer,
  ScopeChallenge,
  ScopeChallengeHandler,
  ToolAnnotations,
} from "@modelcontextprotocol/server";

export const SCOPES = {
  read: "tasks:read",
  write: "tasks:write",
  execute: "runs:execute",
} as const;
export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

/** Every scope this server understands, as its metadata lists them. */
export const SUPPORTED_SCOPES: readonly Scope[] = [SCOPES.read, SCOPES.write, SCOPES.execute];

/** What a client is asked for when it first comes without a token: enough to work the queue. */
export const DEFAULT_CHALLENGE_SCOPES: readonly Scope[] = [SCOPES.read, SCOPES.write];

/** Tools whose scope is not the one their annotations imply. */
export const TOOL_EXCEPTIONS: Readonly<Record<string, Scope>> = {
  run_orchestrator: SCOPES.execute,
};

/** Methods that name no tool or resource but still read the queue. */
const METHOD_SCOPES: Readonly<Record<string, Scope>> = {
  // Listing resources names tasks and runs (ids, the start of descriptions): that is reading them.
  "resources/list": SCOPES.read,
  "resources/templates/list": SCOPES.read,
  "resources/subscribe": SCOPES.read,
  "resources/unsubscribe": SCOPES.read,
  "subscriptions/listen": SCOPES.read,
  "completion/complete": SCOPES.read,
};

/** The scope a tool needs. A tool without annotations counts as one that changes tasks. */
export function toolScope(name: string, annotations: ToolAnnotations | undefined): Scope {
  return TOOL_EXCEPTIONS[name] ?? (annotations?.readOnlyHint === true ? SCOPES.read : SCOPES.write);
}

/** The scopes a verified token carries. */
export function hasScope(authInfo: AuthInfo, scope: Scope): boolean {
  return authInfo.scopes.includes(scope);
}

function challenge(what: string, scope: Scope, authInfo: AuthInfo): ScopeChallenge {
  const held = authInfo.scopes.length > 0 ? authInfo.scopes.join(" ") : "no scopes";
  return {
    scopes: [scope],
    // RFC 6750 error-description: printable ASCII without quotes or backslashes.
    errorDescription:
      `${what} needs the scope ${scope}; this token has ${held}. Ask the authorization server for a token with ${scope}.`.replace(
        /[^\x20-\x21\x23-\x5b\x5d-\x7e]/g,
        "?",
      ),
  };
}

function requireScope(what: string, scope: Scope): ScopeChallengeHandler {
  // No authInfo: the request came in with the static token (or over stdio); nothing to check.
  return ({ authInfo }) =>
    authInfo === undefined || hasScope(authInfo, scope) ? undefined : challenge(what, scope, authInfo);
}

/**
 * Give every tool and resource registered on `server` from now on the scope challenge its scope
 * calls for. Call it on a fresh server, before anything is registered; tools registered through
 * other helpers (an MCP App's registerAppTool) pass through `registerTool` too.
 */
export function requireScopesOnRegistration(server: McpServer): void {
  const registerTool = server.registerTool.bind(server) as (...args: unknown[]) => unknown;
  const registerResource = server.registerResource.bind(server) as (...args: unknown[]) => unknown;
  const patchedTool = (name: string, config: Record<string, unknown>, ...rest: unknown[]) =>
    registerTool(
      name,
      {
        ...config,
        scopeChallenge:
          config.scopeChallenge ??
          requireScope(name, toolScope(name, config.annotations as ToolAnnotations | undefined)),
      },
      ...rest,
    );
  const patchedResource = (name: string, uri: unknown, config: Record<string, unknown>, ...rest: unknown[]) =>
    registerResource(
      name,
      uri,
      { ...config, scopeChallenge: config.scopeChallenge ?? requireScope(`Reading ${name}`, SCOPES.read) },
      ...rest,
    );
  server.registerTool = patchedTool as unknown as McpServer["registerTool"];
  server.registerResource = patchedResource as unknown as McpServer["registerResource"];
}

/**
 * The scope challenge for JSON-RPC requests in `body` whose method names no tool or resource
 * (subscribe, listen, completion), or undefined when the token may make them all.
 */
export function methodChallenge(body: unknown, authInfo: AuthInfo | undefined): ScopeChallenge | undefined {
  if (authInfo === undefined) return undefined;
  for (const message of Array.isArray(body) ? body : [body]) {
    const method = (message as { method?: unknown } | null)?.method;
    if (typeof method !== "string") continue;
    const scope = METHOD_SCOPES[method];
    if (scope !== undefined && !hasScope(authInfo, scope)) return challenge(method, scope, authInfo);
  }
  return undefined;
}
