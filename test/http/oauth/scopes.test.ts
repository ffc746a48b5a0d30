/**
 * Each scope allows exactly its tools and resources: tasks:read the resources, subscriptions,
 * completion and the read-only tools; tasks:write the tools that change tasks; runs:execute
 * run_orchestrator. tools/list is not filtered. A call beyond the token's scope is answered 403
 * with the scope it needs, before it runs; in both eras, and the SDK client steps up on it.
 */
import { UnauthorizedError } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type ListedTool, ok } from "../../mcp/helpers.js";
import { connectV1, connectV2, postHeaders, raw } from "../helpers.js";
import { challenge, connectWithOAuth, type OAuthSetup, post, rpc, serveWithOAuth } from "./helpers.js";

const READ = "tasks:read";
const WRITE = "tasks:write";
const EXECUTE = "runs:execute";

/** The tools every build has, with the scope each needs; tools added later follow their annotations. */
const PINNED: Record<string, string> = {
  get_next_task: READ,
  get_task: READ,
  list_tasks: READ,
  add_task: WRITE,
  start_task: WRITE,
  complete_task: WRITE,
  fail_task: WRITE,
  retry_task: WRITE,
  claim_next_task: WRITE,
  clear_completed: WRITE,
  reset_all_tasks: WRITE,
  add_tasks_batch: WRITE,
  complete_tasks_batch: WRITE,
  run_orchestrator: EXECUTE,
};

/** Arguments that make each call a harmless no-op or a tool error on an empty queue. */
const HARMLESS: Record<string, Record<string, unknown>> = {
  run_orchestrator: { run_id: "run-999", wait: false },
};

const RESOURCES = [
  "task://queue",
  "task://current",
  "task://stats",
  "task://pending",
  "task://completed",
  "task://failed",
  "task://filter/pending",
  "task://tasks/task-001",
  "task://runs/run-001",
];

describe("scopes", () => {
  let setup: OAuthSetup;
  let tools: ListedTool[];
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    setup = await serveWithOAuth();
    for (const scope of [READ, WRITE, EXECUTE]) tokens[scope] = await setup.as.sign(setup.resource, scope);
    const client = await connectV2(setup.server.url, "modern", "lister", {
      authorization: `Bearer ${tokens[EXECUTE]}`,
    });
    tools = (await client.listTools()).tools as ListedTool[];
    await client.close();
  });
  afterAll(() => setup.close());

  it("tools/list is not filtered: a token with any one scope sees every tool", () => {
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(Object.keys(PINNED)));
  });

  it("each scope allows exactly its tools; a call beyond it is 403 insufficient_scope naming the scope", async () => {
    for (const tool of tools) {
      const needed = PINNED[tool.name] ?? (tool.annotations?.readOnlyHint ? READ : WRITE);
      for (const scope of [READ, WRITE, EXECUTE]) {
        const body = rpc("tools/call", { name: tool.name, arguments: HARMLESS[tool.name] ?? {} });
        const response = await post(setup.server.url, tokens[scope], body);
        const what = `${tool.name} with ${scope}`;
        if (scope === needed) {
          expect(response.status, what).toBe(200);
          continue;
        }
        expect(response.status, what).toBe(403);
        const params = challenge(response.headers["www-authenticate"]);
        expect(params, what).toMatchObject({ error: "insufficient_scope", scope: needed });
        expect(params.resource_metadata).toBe(
          `${new URL(setup.resource).origin}/.well-known/oauth-protected-resource/mcp`,
        );
      }
    }
    expect((await setup.server.store.stats()).total).toBe(0);
  });

  it("resources, subscriptions and completion need tasks:read", async () => {
    const calls = [
      ...RESOURCES.map((uri) => rpc("resources/read", { uri })),
      rpc("resources/subscribe", { uri: "task://queue" }),
      rpc("completion/complete", {
        ref: { type: "ref/resource", uri: "task://tasks/{id}" },
        argument: { name: "id", value: "task-" },
      }),
    ];
    for (const body of calls) {
      expect((await post(setup.server.url, tokens[READ], body)).status, body).toBe(200);
      for (const scope of [WRITE, EXECUTE]) {
        const response = await post(setup.server.url, tokens[scope], body);
        expect(response.status, `${body} with ${scope}`).toBe(403);
        expect(challenge(response.headers["www-authenticate"])).toMatchObject({
          error: "insufficient_scope",
          scope: READ,
        });
      }
    }
  });

  it("a token with no scope of ours may connect and list tools, and nothing more", async () => {
    const none = await setup.as.sign(setup.resource, "openid");
    expect((await post(setup.server.url, none, rpc("tools/list"))).status).toBe(200);
    // resources/list names tasks and runs (ids, the start of descriptions): that is reading them.
    expect((await post(setup.server.url, none, rpc("resources/list"))).status).toBe(403);
    expect((await post(setup.server.url, none, rpc("resources/templates/list"))).status).toBe(403);
    expect((await post(setup.server.url, none, rpc("resources/read", { uri: "task://queue" }))).status).toBe(
      403,
    );
  });

  it("the 2026-07-28 era: a read-only token lists tools and reads, and add_task is refused with 403", async () => {
    const client = await connectV2(setup.server.url, "modern", "reader", {
      authorization: `Bearer ${tokens[READ]}`,
    });
    try {
      expect((await client.readResource({ uri: "task://stats" })).contents).toHaveLength(1);
      await expect(client.callTool({ name: "add_task", arguments: { description: "no" } })).rejects.toThrow(
        /insufficient|403|scope/i,
      );
    } finally {
      await client.close();
    }
    expect((await setup.server.store.stats()).total).toBe(0);
  });

  it("the 2025 era, in a session: a read-only token is refused add_task with 403", async () => {
    const client = await connectV1(setup.server.url, "reader-v1", {
      authorization: `Bearer ${tokens[READ]}`,
    });
    try {
      expect((await client.readResource({ uri: "task://stats" })).contents).toHaveLength(1);
      await expect(client.callTool({ name: "add_task", arguments: { description: "no" } })).rejects.toThrow(
        /insufficient_scope.*needs the scope tasks:write/,
      );
    } finally {
      await client.close();
    }
    expect((await setup.server.store.stats()).total).toBe(0);
  });

  it("the SDK client steps up: run_orchestrator's 403 makes it ask for runs:execute as well, then the call goes through", async () => {
    const client = await connectWithOAuth("v2-modern", setup.server.url);
    try {
      const call = () => client.callTool({ name: "run_orchestrator", arguments: HARMLESS.run_orchestrator });
      // The client re-authorizes (the stand-in approves at once); the app hands the code back.
      await expect(call()).rejects.toBeInstanceOf(UnauthorizedError);
      await client.http.finishAuth(client.provider.code as string);
      const reply = await call();
      expect(reply.isError).toBe(true); // run-999 does not exist: the tool ran
      const last = setup.as.authorizations.at(-1);
      expect(last?.get("scope")?.split(" ").sort()).toEqual([EXECUTE, READ, WRITE].sort());
      expect((await ok(client, "add_task", { description: "still allowed" })).message).toMatch(
        /Created task/,
      );

      // A run it starts records who asked for it.
      vi.stubEnv("RALPH_EXECUTOR", "command");
      vi.stubEnv("RALPH_EXECUTOR_COMMAND", "echo done");
      vi.stubEnv("RALPH_VERIFIER", "none");
      const run = await ok(client, "run_orchestrator", { max_tasks: 1 });
      expect(run).toMatchObject({ status: "finished", completed: 1 });
      const record = await setup.server.store.runs.get(run.run_id as string);
      expect(record.settings.started_by).toBe("oauth:alice");
    } finally {
      vi.unstubAllEnvs();
      await client.close();
    }
  });
});

describe("sessions and the static token next to OAuth", () => {
  let setup: OAuthSetup;
  beforeAll(async () => {
    setup = await serveWithOAuth({ token: "static-secret-token" });
  });
  afterAll(() => setup.close());

  it("a 2025-era session belongs to the subject that opened it: another user's token is refused (403)", async () => {
    const alice = await setup.as.sign(setup.resource, `${READ} ${WRITE}`);
    const client = await connectV1(setup.server.url, "alice", { authorization: `Bearer ${alice}` });
    try {
      const bob = await setup.as.sign(setup.resource, `${READ} ${WRITE}`, { sub: "bob" });
      const response = await raw(setup.server.url, {
        headers: postHeaders({
          authorization: `Bearer ${bob}`,
          "mcp-session-id": client.http.sessionId as string,
          "mcp-protocol-version": "2025-06-18",
        }),
        body: rpc("tools/call", { name: "add_task", arguments: { description: "as alice?" } }),
      });
      expect(response.status).toBe(403);
      expect(response.body).toMatch(/another user's token/);
      // Alice's own next token (same subject) still works in her session.
      expect((await ok(client, "add_task", { description: "alice's" })).message).toBe(
        "Created task: task-001",
      );
    } finally {
      await client.close();
    }
    expect((await setup.server.store.stats()).total).toBe(1);
  });

  it("claims are held by the token's subject: another user cannot complete them, the same one can from another client", async () => {
    const rw = `${READ} ${WRITE}`;
    const alice = await setup.as.sign(setup.resource, rw);
    const bob = await setup.as.sign(setup.resource, rw, { sub: "bob" });
    const session = await connectV1(setup.server.url, "alice-in-a-session", {
      authorization: `Bearer ${alice}`,
    });
    try {
      const { task } = await ok(session, "add_task", { description: "alice's to do" });
      const id = (task as { id: string }).id;
      await ok(session, "start_task", { task_id: id });
      const complete = (token: string) =>
        post(
          setup.server.url,
          token,
          rpc("tools/call", { name: "complete_task", arguments: { task_id: id, result: "done" } }),
        );
      const byBob = await complete(bob);
      expect(byBob.body).toMatch(/"isError":true/);
      expect(byBob.body).toContain("oauth:alice");
      expect((await setup.server.store.get(id)).status).toBe("in_progress");
      // Alice again, from a one-off request (no session, another client): hers to complete.
      expect((await complete(alice)).body).toContain(`Completed task: ${id}`);
      expect((await setup.server.store.get(id)).status).toBe("completed");
    } finally {
      await session.close();
    }
  });

  it("the static RALPH_HTTP_TOKEN still works alongside OAuth, with every scope", async () => {
    const response = await post(
      setup.server.url,
      "static-secret-token",
      rpc("tools/call", { name: "run_orchestrator", arguments: HARMLESS.run_orchestrator }),
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatch(/run-999/);
    const wrong = await post(setup.server.url, "static-secret-tokem", rpc("tools/list"));
    expect(wrong.status).toBe(401);
    expect(challenge(wrong.headers["www-authenticate"]).error).toBe("invalid_token");
  });
});
