/** The server's MCP identity; a module of its own so terminal commands need not load the SDK. */
import { readFileSync } from "node:fs";

export const SERVER_NAME = "ralph-workflow";

export const SERVER_VERSION = readVersion();

function readVersion(): string {
  // src/mcp/ and dist/mcp/ sit two levels below the package; dist-bench/src/mcp/ three.
  for (const path of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "ralph-mcp" && pkg.version) return pkg.version;
    } catch {
      // not there: try the next place
    }
  }
  return "0.0.0";
}
