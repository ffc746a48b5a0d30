/**
 * A stand-in for better-sqlite3's GitHub releases on 127.0.0.1: serves the binary built in this
 * checkout as the prebuilt asset prebuild-install (better-sqlite3's install script) asks for, so
 * `npm install` on Node 20 gets what most users get (a download, no compiler) without the network.
 * Point npm at it with `npm_config_better_sqlite3_binary_host=<url>`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../src/package-root.js";

const ROOT = packageRoot();
export const BUILT_BINARY = join(ROOT, "node_modules/better-sqlite3/build/Release/better_sqlite3.node");

/** Serve the checkout's better-sqlite3 binary for the Node at `node` (whose ABI it was built for). */
export async function startPrebuiltMirror(node: string): Promise<{ url: string; close(): Promise<void> }> {
  const version = JSON.parse(
    readFileSync(join(ROOT, "node_modules/better-sqlite3/package.json"), "utf8"),
  ).version;
  const abi = execFileSync(node, ["-p", "process.versions.modules"], { encoding: "utf8" }).trim();
  const asset = `better-sqlite3-v${version}-node-v${abi}-${process.platform}-${process.arch}.tar.gz`;
  const dir = mkdtempSync(join(tmpdir(), "ralph-prebuilt-"));
  const archive = join(dir, asset);
  execFileSync("tar", [
    "-czf",
    archive,
    "-C",
    join(ROOT, "node_modules/better-sqlite3"),
    "build/Release/better_sqlite3.node",
  ]);
  const body = readFileSync(archive);
  rmSync(dir, { recursive: true, force: true });
  const server = createServer((req, res) => {
    if (req.url === `/v${version}/${asset}`) {
      res.writeHead(200, { "content-type": "application/gzip", "content-length": body.length }).end(body);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}
