/**
 * The official SDK clients' own OAuth support against `serve --http` as a resource server: the
 * first request is refused with 401 and the metadata's address; the client discovers the Protected
 * Resource Metadata, then the authorization server's metadata, registers, authorizes with PKCE (the
 * stand-in approves at once), gets a token for this resource and calls add_task. In both protocol
 * eras: the 1.x client and the v2 client in its 2025-era mode (sessions), the v2 client pinned to
 * 2026-07-28.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ok } from "../../mcp/helpers.js";
import { connectWithOAuth, type Kind, type OAuthSetup, serveWithOAuth } from "./helpers.js";

describe("the SDK clients' OAuth flow", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  it.each<Kind>(["v1", "v2-legacy", "v2-modern"])(
    "%s: discovers the metadata, authorizes with PKCE, and adds a task as the token's subject",
    async (kind) => {
      const setup: OAuthSetup = await serveWithOAuth();
      cleanups.push(() => setup.close());
      const client = await connectWithOAuth(kind, setup.server.url);
      cleanups.push(() => client.close());

      // What the client asked the authorization server for: this resource, the scopes of the 401.
      const [authorization] = setup.as.authorizations;
      expect(authorization?.get("resource")).toBe(setup.resource);
      expect(authorization?.get("scope")).toBe("tasks:read tasks:write");
      expect(authorization?.get("code_challenge_method")).toBe("S256");

      const added = await ok(client, "add_task", { description: `through OAuth (${kind})` });
      expect(added.message).toBe("Created task: task-001");
      const claimed = await ok(client, "claim_next_task");
      expect((claimed.task as { claimed_by: string }).claimed_by).toBe("oauth:alice");
      const task = await setup.server.store.get("task-001");
      expect(task).toMatchObject({ status: "in_progress", claimed_by: "oauth:alice" });
    },
  );
});
