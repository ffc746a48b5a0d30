// `npm run manifest:sync`: rewrite manifest.json's `tools` and `prompts` from what the built
// server (dist/bin/ralph-mcp.js) really lists, so the bundle's install dialog shows the truth.
// test/packaging/manifest.test.ts fails when the two differ and names this command.
// A prompt keeps its hand-written `text` (the manifest's template, with ${arguments.NAME}); a new
// prompt gets one made from its description and arguments.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

const root = resolve(import.meta.dirname, "..");
const manifestPath = join(root, "manifest.json");
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const dir = mkdtempSync(join(tmpdir(), "ralph-manifest-"));
const client = new Client({ name: "manifest-sync", version: "1.0.0" });
try {
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [join(root, "dist", "bin", "ralph-mcp.js")],
      env: { ...process.env, RALPH_DB: join(dir, "tasks.db"), RALPH_LOG_LEVEL: "warn" },
    }),
  );
  const { tools } = await client.listTools();
  const { prompts } = await client.listPrompts();
  const oldPrompts = new Map((manifest.prompts ?? []).map((p) => [p.name, p]));
  manifest.tools = tools.map((t) => ({ name: t.name, description: t.description ?? "" }));
  manifest.prompts = prompts.map((p) => {
    const args = (p.arguments ?? []).map((a) => a.name);
    const text =
      oldPrompts.get(p.name)?.text ??
      [p.description ?? p.name, ...args.map((a) => `${a}: \${arguments.${a}}`)].join("\n");
    return { name: p.name, description: p.description ?? "", arguments: args, text };
  });
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  execFileSync(join(root, "node_modules", ".bin", "biome"), ["format", "--write", manifestPath], {
    stdio: "ignore",
  });
  process.stderr.write(`manifest.json: ${tools.length} tools, ${prompts.length} prompts\n`);
} finally {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
}
