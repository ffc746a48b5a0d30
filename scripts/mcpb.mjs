// `npm run bundle`: the MCP bundle (ralph-mcp-<version>.mcpb, or --out FILE) for Claude Desktop, built with the
// official @anthropic-ai/mcpb CLI from a staging folder of its own (.mcpb-XXXXXX/ in the project,
// where node_modules resolves; removed at the end), compiled there from src/ and web/: dist/ is left alone, so a client started from
// dist/bin/ralph-mcp.js (what `ralph-mcp install` writes) keeps working while a bundle is built.
// - what `npm pack` ships (package.json's `files`); its dist/ is built afresh: dist/bin bundled
//   with every JavaScript dependency inside it, so the bundle needs almost no node_modules;
// - no native module: the bundle asks for Node >= 22.13, where the store uses the built-in
//   node:sqlite, so better-sqlite3 stays out (a native binary works on one platform and ABI only);
// - pino stays a real package (src/log.ts loads it lazily with require, which a bundler cannot
//   follow), copied with its own dependencies; pino-pretty does not come along (400 kB for
//   terminal output: a host pipes stderr, so the server logs JSON there);
// - manifest.json and icon.png from the project root; a package.json naming the package and its
//   version (src/package-root.ts finds the installation by it, and it makes the .js files ESM).
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { rolldown } from "rolldown";

const root = resolve(import.meta.dirname, "..");
const work = mkdtempSync(join(root, ".mcpb-"));
const compiled = join(work, "compiled");
const stage = join(work, "stage");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const manifest = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8"));

if (manifest.version !== pkg.version) {
  throw new Error(
    `manifest.json says version ${manifest.version}, package.json ${pkg.version}: set manifest.json's version to ${pkg.version}.`,
  );
}

/** Packages left out of the JavaScript bundle; each must be copied in (or be optional). */
const KEPT_AS_PACKAGES = ["pino"];

try {
  mkdirSync(stage, { recursive: true });

  // 1. What the npm package ships, less its dist/ (built below) and its package.json.
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8" }),
  );
  for (const { path } of packed[0].files) {
    if (path.startsWith("dist/") || path === "package.json") continue;
    mkdirSync(dirname(join(stage, path)), { recursive: true });
    cpSync(join(root, path), join(stage, path));
  }

  // 2. The command, compiled from src/ and bundled with its dependencies inside (no source maps:
  //    the bundle stays small); the board's front end beside it, as in dist/.
  execFileSync(
    process.execPath,
    [
      join(root, "node_modules", "typescript", "bin", "tsc"),
      "-p",
      "tsconfig.build.json",
      "--outDir",
      compiled,
      "--declaration",
      "false",
      "--sourceMap",
      "false",
    ],
    { cwd: root, stdio: ["ignore", "inherit", "inherit"] },
  );
  execFileSync(
    process.execPath,
    [join(root, "scripts", "build-web.mjs"), "--out", join(stage, "dist", "web")],
    {
      stdio: ["ignore", "ignore", process.argv.includes("--quiet") ? "ignore" : "inherit"],
    },
  );
  const bundle = await rolldown({
    input: join(compiled, "cli.js"),
    platform: "node",
    external: [
      /^node:/,
      /^better-sqlite3(\/|$)/,
      /^pg-native$/,
      ...KEPT_AS_PACKAGES.map((p) => new RegExp(`^${p}(/|$)`)),
    ],
    logLevel: "warn",
  });
  await bundle.write({
    dir: join(stage, "dist", "bin"),
    format: "esm",
    entryFileNames: "ralph-mcp.js",
    chunkFileNames: "chunks/[name]-[hash].js",
  });
  await bundle.close();
  chmodSync(join(stage, "dist", "bin", "ralph-mcp.js"), 0o755);

  // 3. The packages kept as packages, with everything they depend on (as installed here).
  const copied = new Set();
  /** What a package needs at run time is its code, its package.json and its licence. */
  const LEFT_OUT =
    /[\\/](node_modules|test|tests|benchmarks?|docs|examples|\.github)$|\.(md|ts|map)$|[\\/]bench\.js$/;
  function copyPackage(name, from) {
    const require = createRequire(join(from, "noop.js"));
    let dir;
    try {
      dir = dirname(require.resolve(`${name}/package.json`));
    } catch {
      // Some packages do not export package.json: find the folder through node_modules.
      dir = join(root, "node_modules", name);
    }
    if (copied.has(dir)) return;
    copied.add(dir);
    const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const target = join(stage, "node_modules", name);
    if (!existsSync(target)) {
      cpSync(dir, target, {
        recursive: true,
        filter: (src) => src === dir || !LEFT_OUT.test(src.slice(dir.length)),
      });
    }
    for (const dep of Object.keys({ ...meta.dependencies, ...meta.optionalDependencies })) {
      try {
        copyPackage(dep, dir);
      } catch (error) {
        if (!(meta.optionalDependencies && dep in meta.optionalDependencies)) throw error;
      }
    }
  }
  for (const name of KEPT_AS_PACKAGES) copyPackage(name, root);

  // 4. manifest, icon, and a package.json for the installation.
  cpSync(join(root, "manifest.json"), join(stage, "manifest.json"));
  cpSync(join(root, manifest.icon), join(stage, manifest.icon));
  writeFileSync(
    join(stage, "package.json"),
    `${JSON.stringify(
      {
        name: pkg.name,
        version: pkg.version,
        description: pkg.description,
        license: pkg.license,
        private: true,
        type: "module",
        engines: { node: manifest.compatibility.runtimes.node },
      },
      null,
      2,
    )}\n`,
  );

  // 5. Pack with the official CLI (it validates the manifest first).
  const outAt = process.argv.indexOf("--out");
  const output = outAt > 0 ? resolve(process.argv[outAt + 1]) : join(root, `${pkg.name}-${pkg.version}.mcpb`);
  const mcpb = join(root, "node_modules", ".bin", process.platform === "win32" ? "mcpb.cmd" : "mcpb");
  execFileSync(mcpb, ["pack", stage, output], {
    stdio: ["ignore", process.argv.includes("--quiet") ? "ignore" : 2, 2],
  });
  process.stderr.write(`Wrote ${output} (${(statSync(output).size / 1024).toFixed(0)} kB)\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
