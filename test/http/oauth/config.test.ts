/**
 * The OAuth settings: read from the environment, checked before anything listens, each mistake
 * named with what to set instead; and `ralph-mcp serve --http` as a resource server from them.
 */
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { commandEnv } from "../../../src/orchestrator/process.js";
import { oauthFromEnv, resolveOAuth } from "../../../src/transports/oauth/config.js";
import { tempDb } from "../../mcp/helpers.js";
import { postHeaders, raw, serveInProcess, spawnServer } from "../helpers.js";
import { StandInAuthorizationServer } from "./authorization-server.js";
import { challenge, rpc } from "./helpers.js";

describe("OAuth settings", () => {
  it("are off without RALPH_OAUTH_ISSUER, and a lone JWKS or introspection URL is a mistake", () => {
    expect(oauthFromEnv({})).toBeUndefined();
    expect(() => oauthFromEnv({ RALPH_OAUTH_JWKS_URL: "https://as.example.com/jwks" })).toThrow(
      /RALPH_OAUTH_JWKS_URL is set but RALPH_OAUTH_ISSUER is not/,
    );
    expect(
      oauthFromEnv({
        RALPH_OAUTH_ISSUER: " https://as.example.com ",
        RALPH_PUBLIC_URL: "https://r.example.com/",
      }),
    ).toMatchObject({
      issuer: "https://as.example.com",
      publicUrl: "https://r.example.com/",
    });
  });

  it.each<[string, Parameters<typeof resolveOAuth>[0], string, RegExp]>([
    [
      "a public bind without RALPH_PUBLIC_URL",
      { issuer: "https://as.example.com" },
      "0.0.0.0",
      /RALPH_PUBLIC_URL is not/,
    ],
    ["an issuer over plain http", { issuer: "http://as.example.com" }, "127.0.0.1", /must use https/],
    [
      "a public URL over plain http",
      { issuer: "https://as.example.com", publicUrl: "http://r.example.com" },
      "0.0.0.0",
      /must use https/,
    ],
    ["an issuer that is not a URL", { issuer: "as.example.com" }, "127.0.0.1", /is not a URL/],
    [
      "a public URL with a query",
      { issuer: "https://as.example.com", publicUrl: "https://r.example.com/?x=1" },
      "0.0.0.0",
      /query/,
    ],
    [
      "a secret without a client id",
      { issuer: "https://as.example.com", clientSecret: "s" },
      "127.0.0.1",
      /CLIENT_ID is not/,
    ],
  ])("refuse %s", (_name, options, host, message) => {
    expect(() => resolveOAuth(options, host)).toThrow(message);
  });

  it("take a public URL without its trailing slash; loopback may leave it to the bound address", () => {
    expect(
      resolveOAuth({ issuer: "https://as.example.com", publicUrl: "https://r.example.com/" }, "0.0.0.0")
        .publicUrl,
    ).toBe("https://r.example.com");
    expect(resolveOAuth({ issuer: "http://127.0.0.1:9" }, "127.0.0.1").publicUrl).toBeNull();
  });

  it("keep the introspection client's secret from the agents the orchestrator starts", () => {
    const env = commandEnv(
      {},
      { RALPH_OAUTH_CLIENT_SECRET: "s3cret", RALPH_OAUTH_CLIENT_ID: "ralph", PATH: "/bin" },
    );
    expect(env).not.toHaveProperty("RALPH_OAUTH_CLIENT_SECRET");
    expect(env).toMatchObject({ RALPH_OAUTH_CLIENT_ID: "ralph", PATH: "/bin" });
  });
});

describe("without RALPH_OAUTH_ISSUER", () => {
  it("nothing of OAuth shows: no metadata, and the static token's challenge as before", async () => {
    const server = await serveInProcess({ token: "static-only" });
    try {
      const origin = new URL(server.url).origin;
      expect((await fetch(`${origin}/.well-known/oauth-protected-resource/mcp`)).status).toBe(404);
      const refused = await raw(server.url, { headers: postHeaders(), body: rpc("tools/list") });
      expect(refused.status).toBe(401);
      expect(refused.headers["www-authenticate"]).toBe('Bearer realm="ralph-mcp"');
    } finally {
      await server.close();
    }
  });
});

describe("ralph-mcp serve --http with RALPH_OAUTH_ISSUER", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  it("a public bind without RALPH_PUBLIC_URL exits non-zero before opening the store", async () => {
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const server = spawnServer(tmp.db, ["--host", "0.0.0.0"], {
      RALPH_HTTP_TOKEN: "",
      RALPH_OAUTH_ISSUER: "https://as.example.com",
    });
    expect((await server.exited).code).not.toBe(0);
    expect(server.stderr()).toContain("RALPH_PUBLIC_URL is not");
    expect(existsSync(tmp.db)).toBe(false);
  });

  it("serves the metadata and asks for a token", async () => {
    const as = await StandInAuthorizationServer.start();
    cleanups.push(() => as.close());
    const tmp = tempDb();
    cleanups.push(tmp.cleanup);
    const server = spawnServer(tmp.db, [], { RALPH_HTTP_TOKEN: "", RALPH_OAUTH_ISSUER: as.issuer });
    cleanups.push(async () => {
      server.child.kill("SIGTERM");
      await server.exited;
    });
    const url = await server.url;
    expect(server.stderr()).toContain(`OAuth (issuer ${as.issuer})`);
    const metadata = await fetch(`${new URL(url).origin}/.well-known/oauth-protected-resource/mcp`);
    expect(await metadata.json()).toMatchObject({ resource: url, authorization_servers: [as.issuer] });
    const refused = await raw(url, { headers: postHeaders(), body: rpc("tools/list") });
    expect(refused.status).toBe(401);
    const token = await as.sign(url, "tasks:read");
    const listed = await raw(url, {
      headers: postHeaders({ authorization: `Bearer ${token}` }),
      body: rpc("tools/list"),
    });
    expect(listed.status).toBe(200);
    expect(challenge(refused.headers["www-authenticate"]).scope).toBe("tasks:read tasks:write");
  });
});
