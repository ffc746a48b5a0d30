// Builds the dashboard's front end (web/src, Preact) into dist/web/ (or --out DIR: the MCP bundle's
// staging folder), minified, everything bundled (no CDN, nothing fetched from elsewhere at run time):
//   app.js + chunks/   the web page's script; the MCP host link (ext-apps) is a chunk it never loads
//   app-inline.js      the same code as one file, inlined into the MCP App's HTML (src/dashboard/assets.ts)
//   app.css            the styles, for both
import { copyFileSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { rolldown } from "rolldown";

const root = resolve(import.meta.dirname, "..");
const outAt = process.argv.indexOf("--out");
const outDir = outAt > 0 ? resolve(process.argv[outAt + 1]) : join(root, "dist", "web");
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
for (const [entryFileNames, codeSplitting] of [
  ["app.js", true],
  ["app-inline.js", false],
]) {
  const bundle = await rolldown({
    input: join(root, "web/src/main.tsx"),
    platform: "browser",
    tsconfig: join(root, "web/tsconfig.json"),
    logLevel: "warn",
  });
  await bundle.write({
    dir: outDir,
    format: "esm",
    entryFileNames,
    chunkFileNames: "chunks/[name]-[hash].js",
    codeSplitting,
    minify: true,
  });
  await bundle.close();
}
copyFileSync(join(root, "web/src/styles.css"), join(outDir, "app.css"));
const kb = (file) => `${(statSync(join(outDir, file)).size / 1024).toFixed(1)} KiB`;
process.stderr.write(
  `dashboard front end: app.js ${kb("app.js")} (web page), app-inline.js ${kb("app-inline.js")} (MCP App), app.css ${kb("app.css")}\n`,
);
