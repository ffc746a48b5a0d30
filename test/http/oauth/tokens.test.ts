/**
 * Which access tokens the resource server takes. Every refusal is checked for its status, its
 * WWW-Authenticate challenge (pointing at the Protected Resource Metadata) and for leaving the
 * store untouched: the refused request is an add_task.
 */
import { generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { challenge, type OAuthSetup, post, rpc, serveWithOAuth } from "./helpers.js";

const ADD = rpc("tools/call", { name: "add_task", arguments: { description: "should not exist" } });
const RW = "tasks:read tasks:write";

describe("access tokens", () => {
  let setup: OAuthSetup;
  let metadataUrl: string;
  beforeAll(async () => {
    setup = await serveWithOAuth();
    metadataUrl = `${new URL(setup.resource).origin}/.well-known/oauth-protected-resource/mcp`;
  });
  afterAll(() => setup.close());

  async function refused(token: string | undefined, status: number, error?: string, path?: string) {
    const before = (await setup.server.store.stats()).total;
    const response = await post(setup.server.url, token, ADD, path);
    expect(response.status, response.body).toBe(status);
    const params = challenge(response.headers["www-authenticate"]);
    expect(params.resource_metadata).toBe(metadataUrl);
    expect(params.error).toBe(error);
    expect((await setup.server.store.stats()).total).toBe(before);
    return { response, params };
  }

  it("serves its Protected Resource Metadata at the root and the path-suffixed address", async () => {
    for (const url of [
      metadataUrl,
      `${new URL(setup.resource).origin}/.well-known/oauth-protected-resource`,
    ]) {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        resource: setup.resource,
        authorization_servers: [setup.as.issuer],
        scopes_supported: ["tasks:read", "tasks:write", "runs:execute"],
        bearer_methods_supported: ["header"],
        resource_name: "ralph-mcp task queue",
      });
    }
  });

  it("without a token: 401 naming the metadata and the scopes to ask for", async () => {
    const { params } = await refused(undefined, 401);
    expect(params.scope).toBe(RW);
  });

  it("accepts a valid token (and the task is added)", async () => {
    const response = await post(setup.server.url, await setup.as.sign(setup.resource, RW), ADD);
    expect(response.status).toBe(200);
    expect(response.body).toContain("Created task: task-001");
  });

  it.each<[string, (s: OAuthSetup) => Promise<string>, RegExp]>([
    ["another audience", (s) => s.as.sign("https://other.example.com/mcp", RW), /is for https:\/\/other/],
    ["no audience", (s) => s.as.sign(s.resource, RW, { aud: undefined }), /is for no audience/],
    [
      "another issuer",
      (s) => s.as.sign(s.resource, RW, { iss: "https://evil.example.com" }),
      /issued by https:\/\/evil/,
    ],
    [
      "an expired one",
      (s) => s.as.sign(s.resource, RW, { exp: Math.floor(Date.now() / 1000) - 120 }),
      /expired/,
    ],
    [
      "one not valid yet",
      (s) => s.as.sign(s.resource, RW, { nbf: Math.floor(Date.now() / 1000) + 120 }),
      /not valid yet/,
    ],
    ["one without exp", (s) => s.as.sign(s.resource, RW, { exp: undefined }), /exp/],
    ["one without sub", (s) => s.as.sign(s.resource, RW, { sub: undefined }), /sub/],
    [
      "a bad signature (another key, the published kid)",
      async (s) => s.as.sign(s.resource, RW, {}, { key: await generateKeyPair("ES256"), kid: "key-1" }),
      /signature/,
    ],
    [
      "alg none",
      async (s) => unsigned({ iss: s.as.issuer, aud: s.resource, sub: "alice", scope: RW }),
      /algorithm|JWT/,
    ],
    ["an opaque token with no introspection configured", async () => "opaque-token-value", /not a JWT/],
  ])("refuses %s: 401 invalid_token", async (_name, make, reason) => {
    const { response } = await refused(await make(setup), 401, "invalid_token");
    expect(challenge(response.headers["www-authenticate"]).error_description).toMatch(reason);
  });

  it("takes the scopes from `scp` as well (a list, as some issuers write them)", async () => {
    const token = await setup.as.sign(setup.resource, "", { scope: undefined, scp: ["tasks:read"] });
    const read = await post(setup.server.url, token, rpc("resources/read", { uri: "task://stats" }));
    expect(read.status).toBe(200);
    const refusedAdd = await post(setup.server.url, token, ADD);
    expect(refusedAdd.status).toBe(403);
  });

  it("refuses a token in the query string: 400 invalid_request, even next to a valid header", async () => {
    const token = await setup.as.sign(setup.resource, RW);
    await refused(undefined, 400, "invalid_request", `/mcp?access_token=${token}`);
    await refused(token, 400, "invalid_request", `/mcp?access_token=${token}`);
  });
});

describe("key rotation", () => {
  it("a token signed with a new key is accepted once the key set is fetched again, at most once per cooldown", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const setup = await serveWithOAuth({ jwksCooldownMs: 30_000 });
    try {
      const ok = async (token: string) => (await post(setup.server.url, token, ADD)).status;
      expect(await ok(await setup.as.sign(setup.resource, RW))).toBe(200);
      expect(setup.as.jwksFetches).toBe(1);

      await setup.as.rotate();
      const rotated = await setup.as.sign(setup.resource, RW);
      // Within the cooldown of the last fetch, the set is not fetched again for an unknown kid.
      expect(await ok(rotated)).toBe(401);
      expect(setup.as.jwksFetches).toBe(1);

      vi.setSystemTime(Date.now() + 31_000);
      expect(await ok(rotated)).toBe(200);
      expect(setup.as.jwksFetches).toBe(2);
      // However many made-up kids come next, no more fetches until the cooldown is over.
      for (let i = 0; i < 5; i++) {
        const forged = await setup.as.sign(setup.resource, RW, {}, { kid: `made-up-${i}` });
        expect(await ok(forged)).toBe(401);
      }
      expect(setup.as.jwksFetches).toBe(2);
      expect(await ok(await setup.as.sign(setup.resource, RW))).toBe(200);
      expect((await setup.server.store.stats()).total).toBe(3);
    } finally {
      vi.useRealTimers();
      await setup.close();
    }
  });
});

describe("an issuer that cannot be reached", () => {
  it("answers 503 with Retry-After (try again), not 401 (get a new token), and changes nothing", async () => {
    const setup = await serveWithOAuth({ jwksUrl: "http://127.0.0.1:9/jwks" });
    try {
      const response = await post(setup.server.url, await setup.as.sign(setup.resource, RW), ADD);
      expect(response.status).toBe(503);
      expect(response.headers["retry-after"]).toBe("5");
      expect(response.body).toMatch(/signing keys could not be fetched/);
      expect((await setup.server.store.stats()).total).toBe(0);
    } finally {
      await setup.close();
    }
  });
});

describe("opaque tokens through introspection (RFC 7662)", () => {
  let setup: OAuthSetup;
  beforeAll(async () => {
    setup = await serveWithOAuth({ introspectionUrl: "introspection", introspectionCacheMs: 60_000 });
  });
  afterAll(() => setup.close());

  it("accepts an active token for this resource, asking the issuer once while it is cached", async () => {
    const token = setup.as.opaqueToken({ aud: setup.resource, scope: RW, sub: "bob", iss: setup.as.issuer });
    for (const id of [1, 2]) {
      const response = await post(
        setup.server.url,
        token,
        rpc("tools/call", { name: "claim_next_task" }, id),
      );
      expect(response.status).toBe(200);
    }
    expect(setup.as.introspected.filter((t) => t === token)).toHaveLength(1);
  });

  it.each<[string, (s: OAuthSetup) => Record<string, unknown>, RegExp]>([
    ["an inactive token", (s) => ({ active: false, aud: s.resource, scope: RW }), /not active/],
    [
      "another audience",
      () => ({ aud: "https://other.example.com/mcp", scope: RW, sub: "bob" }),
      /is for https:\/\/other/,
    ],
    [
      "another issuer",
      (s) => ({ aud: s.resource, iss: "https://evil.example.com", sub: "bob" }),
      /issued by/,
    ],
    [
      "an expired one",
      (s) => ({ aud: s.resource, sub: "bob", exp: Math.floor(Date.now() / 1000) - 120 }),
      /expired/,
    ],
  ])("refuses %s: 401 invalid_token, the store untouched", async (_name, claims, reason) => {
    const token = setup.as.opaqueToken(claims(setup));
    const response = await post(setup.server.url, token, ADD);
    expect(response.status).toBe(401);
    const params = challenge(response.headers["www-authenticate"]);
    expect(params.error).toBe("invalid_token");
    expect(params.error_description).toMatch(reason);
    expect((await setup.server.store.stats()).total).toBe(0);
  });
});

function unsigned(payload: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: "none", typ: "JWT" })}.${part({ ...payload, iat: now, exp: now + 300 })}.`;
}
