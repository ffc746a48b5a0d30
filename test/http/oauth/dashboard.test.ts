/**
 * The dashboard of `serve --http` behind the same authorization as /mcp when OAuth is on: with a
 * bearer access token its data needs tasks:read and its actions tasks:write, refused as /mcp
 * refuses; without one, a browser signs in with the static token, or (OAuth only) stays out.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { raw } from "../helpers.js";
import { challenge, type OAuthSetup, serveWithOAuth } from "./helpers.js";

function get(url: string, path: string, token?: string) {
  return raw(url, { method: "GET", path, headers: token ? { authorization: `Bearer ${token}` } : {} });
}

function act(url: string, path: string, token: string | undefined, body: unknown) {
  return raw(url, {
    method: "POST",
    path,
    headers: {
      "content-type": "application/json",
      "x-ralph-dashboard": "1",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
}

describe("the dashboard with OAuth", () => {
  let setup: OAuthSetup;
  beforeAll(async () => {
    setup = await serveWithOAuth();
  });
  afterAll(() => setup.close());

  it("keeps the board closed to a browser without a token (no static token to sign in with)", async () => {
    for (const path of ["/", "/api/board", "/api/events", "/api/tasks?status=pending"]) {
      const response = await get(setup.server.url, path);
      expect(response.status, path).toBe(403);
      expect(response.body).toMatch(/RALPH_HTTP_TOKEN/);
    }
  });

  it("tasks:read may look but not act; tasks:write may act", async () => {
    const reader = await setup.as.sign(setup.resource, "tasks:read");
    const writer = await setup.as.sign(setup.resource, "tasks:write");
    expect((await get(setup.server.url, "/api/board", reader)).status).toBe(200);
    const lookWithoutRead = await get(setup.server.url, "/api/board", writer);
    expect(lookWithoutRead.status).toBe(403);
    expect(challenge(lookWithoutRead.headers["www-authenticate"])).toMatchObject({
      error: "insufficient_scope",
      scope: "tasks:read",
    });

    const refused = await act(setup.server.url, "/api/tasks", reader, { description: "from the board" });
    expect(refused.status).toBe(403);
    expect(challenge(refused.headers["www-authenticate"]).scope).toBe("tasks:write");
    expect((await setup.server.store.stats()).total).toBe(0);

    const added = await act(setup.server.url, "/api/tasks", writer, { description: "from the board" });
    expect(added.status, added.body).toBe(200);
    expect((await setup.server.store.stats()).total).toBe(1);
  });

  it("a bad token is refused as on /mcp (401 invalid_token), a token in the URL too (400)", async () => {
    const other = await setup.as.sign("https://other.example.com/mcp", "tasks:read");
    const response = await get(setup.server.url, "/api/board", other);
    expect(response.status).toBe(401);
    expect(challenge(response.headers["www-authenticate"]).error).toBe("invalid_token");
    const inUrl = await get(
      setup.server.url,
      `/api/board?access_token=${await setup.as.sign(setup.resource, "tasks:read")}`,
    );
    expect(inUrl.status).toBe(400);
    expect(challenge(inUrl.headers["www-authenticate"]).error).toBe("invalid_request");
  });
});

describe("the dashboard with OAuth and a static token", () => {
  it("signs a person in with the static token, as without OAuth", async () => {
    const setup = await serveWithOAuth({ token: "static-board-token" });
    try {
      expect((await get(setup.server.url, "/")).status).toBe(401); // the sign-in form
      const login = await raw(setup.server.url, {
        method: "POST",
        path: "/login",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "token=static-board-token",
      });
      expect(login.status).toBe(303);
      const cookie = String(login.headers["set-cookie"]).split(";")[0] as string;
      const board = await raw(setup.server.url, { method: "GET", path: "/api/board", headers: { cookie } });
      expect(board.status).toBe(200);
    } finally {
      await setup.close();
    }
  });
});
