/**
 * The bundle's manifest.json and the registry's server.json say what the server really is: the
 * official mcpb validator accepts the manifest, its tools and prompts are what the built server
 * lists, every setting reaches the server as an environment variable it reads, and server.json
 * passes the registry's rules (schemas/server.schema.json, checked with ajv) and matches
 * package.json.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectV2, tempDb } from "../mcp/helpers.js";

const ROOT = resolve(import.meta.dirname, "../..");
const readJson = (path: string) => JSON.parse(readFileSync(join(ROOT, path), "utf8"));
const pkg = readJson("package.json");
const manifest = readJson("manifest.json");
const server = readJson("server.json");

/** Every variable the server reads from its environment for its settings (src/orchestrator/config.ts, src/store/open.ts). */
const SERVER_ENV = new Set([
  "RALPH_DB",
  "RALPH_EXECUTOR",
  "RALPH_EXECUTOR_COMMAND",
  "RALPH_VERIFIER",
  "RALPH_VERIFIER_COMMAND",
  "RALPH_MODEL",
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_BASE_URL",
  "RALPH_MAX_ACTIVE_RUNS",
  "RALPH_CONFIG",
  "RALPH_LOG_LEVEL",
  "RALPH_SQLITE_DRIVER",
]);

describe("manifest.json (the MCP bundle)", () => {
  it("passes the official validator (mcpb validate)", () => {
    const out = execFileSync(
      join(ROOT, "node_modules/.bin/mcpb"),
      ["validate", join(ROOT, "manifest.json")],
      {
        encoding: "utf8",
      },
    );
    expect(out).toContain("Manifest schema validation passes");
  });

  it("has the package's name and version, and asks for a Node with node:sqlite", () => {
    expect(manifest.name).toBe(pkg.name);
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.display_name).toBeTruthy();
    expect(manifest.icon).toBe("icon.png");
    expect(manifest.compatibility.runtimes.node).toBe(">=22.13.0");
    expect(manifest.compatibility.platforms.sort()).toEqual(["darwin", "linux", "win32"]);
    expect(manifest.server.entry_point).toBe(pkg.bin["ralph-mcp"]);
    expect(manifest.server.mcp_config.args).toEqual([`\${__dirname}/${pkg.bin["ralph-mcp"]}`]);
  });

  it("passes each user_config value as an environment variable the server reads; the key is secret and optional", () => {
    const env: Record<string, string> = manifest.server.mcp_config.env;
    const used = new Set<string>();
    for (const [name, value] of Object.entries(env)) {
      expect(SERVER_ENV, `${name} is not read by the server`).toContain(name);
      const key = /^\$\{user_config\.([a-z_]+)\}$/.exec(value)?.[1];
      expect(key, `${name} must be one user_config value`).toBeDefined();
      // An optional value needs a default: the host leaves ${user_config.x} as it is otherwise.
      const option = manifest.user_config[key as string];
      expect(option, `user_config.${key} is not declared`).toBeDefined();
      if (option.required !== true) expect(option.default, `user_config.${key} needs a default`).toBe("");
      used.add(key as string);
    }
    expect([...used].sort()).toEqual(Object.keys(manifest.user_config).sort());
    expect(env.ANTHROPIC_API_KEY).toBe(`\${user_config.anthropic_api_key}`);
    expect(manifest.user_config.anthropic_api_key).toMatchObject({ sensitive: true, required: false });
    expect(env.RALPH_DB).toBe(`\${user_config.database}`);
  });

  describe("lists what the server offers", () => {
    const db = tempDb();
    let listed: {
      tools: Array<{ name: string; description?: string }>;
      prompts: Array<{ name: string; description?: string; arguments?: Array<{ name: string }> }>;
    };
    beforeAll(async () => {
      const client = await connectV2(db.db);
      try {
        listed = { tools: (await client.listTools()).tools, prompts: (await client.listPrompts()).prompts };
      } finally {
        await client.close();
      }
    });
    afterAll(() => db.cleanup());

    const hint = "run `npm run manifest:sync` to write them into manifest.json";
    it("tools: the same names, in order, with the server's descriptions", () => {
      expect(manifest.tools, hint).toEqual(
        listed.tools.map((t) => ({ name: t.name, description: t.description ?? "" })),
      );
    });
    it("prompts: the same names, descriptions and arguments; each argument appears in the text", () => {
      const mine = manifest.prompts.map((p: { name: string; description: string; arguments: string[] }) => ({
        name: p.name,
        description: p.description,
        arguments: p.arguments,
      }));
      expect(mine, hint).toEqual(
        listed.prompts.map((p) => ({
          name: p.name,
          description: p.description ?? "",
          arguments: (p.arguments ?? []).map((a) => a.name),
        })),
      );
      for (const p of manifest.prompts as Array<{ text: string; arguments: string[] }>) {
        for (const a of p.arguments) expect(p.text).toContain(`\${arguments.${a}}`);
      }
    });
  });
});

describe("server.json (the MCP registry entry)", () => {
  const schema = readJson("schemas/server.schema.json");
  const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(schema);

  it("passes the registry's rules", () => {
    const valid = validate(server);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
  });

  it("the rules catch what the registry refuses", () => {
    const broken = (change: (s: typeof server) => void) => {
      const copy = structuredClone(server);
      change(copy);
      return validate(copy);
    };
    expect(broken((s) => (s.name = "ralph-workflow"))).toBe(false); // no namespace
    expect(broken((s) => (s.description = "x".repeat(101)))).toBe(false);
    expect(broken((s) => (s.packages[0].version = "^0.1.0"))).toBe(false);
    expect(broken((s) => (s.packages[0].version = "latest"))).toBe(false);
    expect(broken((s) => (s.packages[0].registryBaseUrl = "https://npm.example.com"))).toBe(false);
    expect(broken((s) => (s.packages[0].environmentVariables[0].is_secret = true))).toBe(false); // snake_case
    expect(broken((s) => (s._meta = { "com.example/other": {} }))).toBe(false);
  });

  it("matches package.json: mcpName, package name and version", () => {
    expect(server.name).toBe(pkg.mcpName);
    expect(server.version).toBe(pkg.version);
    expect(server.packages).toHaveLength(1);
    expect(server.packages[0]).toMatchObject({
      registryType: "npm",
      identifier: pkg.name,
      version: pkg.version,
      transport: { type: "stdio" },
    });
  });

  it("describes the environment the server reads, the bundle's settings among them; the key is secret", () => {
    const vars: Array<{ name: string; description: string; isSecret?: boolean }> =
      server.packages[0].environmentVariables;
    for (const v of vars) expect(SERVER_ENV, `${v.name} is not read by the server`).toContain(v.name);
    const names = new Set(vars.map((v) => v.name));
    for (const name of Object.keys(manifest.server.mcp_config.env)) expect(names).toContain(name);
    expect(vars.find((v) => v.name === "ANTHROPIC_API_KEY")?.isSecret).toBe(true);
    expect(vars.filter((v) => v.isSecret).map((v) => v.name)).toEqual(["ANTHROPIC_API_KEY"]);
  });
});
