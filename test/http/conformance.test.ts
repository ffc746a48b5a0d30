/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, run with Node 22 from
 * the npm registry's `node` package, both installed in tools/conformance) against
 * `ralph-mcp serve --http`, scenario by scenario: the server scenarios that need no SDK test
 * fixtures (tools, resources or prompts with the suite's own names).
 * resources-subscribe and resources-unsubscribe subscribe to `test://watched-resource`: accepted
 * (a URI outside task:// is never refused, it just never updates).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDb } from "../mcp/helpers.js";
import { type ServerProcess, spawnServer } from "./helpers.js";

const RUNNER = resolve(import.meta.dirname, "../../tools/conformance/node_modules");
const NODE22 = resolve(RUNNER, "node/bin/node");
const SUITE = resolve(RUNNER, "@modelcontextprotocol/conformance/dist/index.js");

const PASSING = [
  "server-initialize",
  "ping",
  "logging-set-level",
  "tools-list",
  "resources-list",
  "server-sse-multiple-streams",
  "dns-rebinding-protection",
  "resources-subscribe",
  "resources-unsubscribe",
];

function conformance(url: string, scenario: string): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(
      NODE22,
      [SUITE, "server", "--url", url, "--scenario", scenario],
      { env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        done({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

describe("the MCP conformance suite against ralph-mcp serve --http", () => {
  let server: ServerProcess;
  let url: string;
  let cleanup: () => void;

  beforeAll(async () => {
    if (!existsSync(NODE22) || !existsSync(SUITE)) {
      throw new Error(
        "The conformance runner is not installed: run `npm run conformance:install` " +
          "(npm ci --prefix tools/conformance); CI does this after npm ci.",
      );
    }
    const tmp = tempDb();
    cleanup = tmp.cleanup;
    server = spawnServer(tmp.db);
    url = await server.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/); // dns-rebinding-protection needs a loopback URL
  });
  afterAll(async () => {
    server?.child.kill("SIGTERM");
    if (server) expect((await server.exited).code).toBe(0);
    cleanup?.();
  });

  it.each(PASSING)("%s passes", async (scenario) => {
    const { code, output } = await conformance(url, scenario);
    expect(output, output).toMatch(/Passed: (\d+)\/\1, 0 failed/);
    expect(code, output).toBe(0);
  });
});
