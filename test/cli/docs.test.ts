/**
 * The README tells the truth about what the code accepts: every key of the config file, every
 * environment variable the code reads, and the defaults a user relies on. (A key the code
 * accepted but no page named was a setting nobody could find.)
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { breakerSchema, configFileSchema, ENV_SETTINGS } from "../../src/orchestrator/config.js";
import { DEFAULT_OPTIONS } from "../../src/orchestrator/options.js";
import { DEFAULT_LEASE_MS } from "../../src/store/types.js";

const root = join(import.meta.dirname, "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("README", () => {
  it("names every key the config file accepts (the file refuses any other)", () => {
    const keys = [...Object.keys(configFileSchema.shape), ...Object.keys(breakerSchema.shape)];
    const missing = keys.filter((k) => !readme.includes(`"${k}"`) && !readme.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });

  it("names every environment variable the code reads", () => {
    const read = new Set<string>(Object.keys(ENV_SETTINGS));
    for (const file of sources(join(root, "src"))) {
      for (const m of readFileSync(file, "utf8").matchAll(/env(?:\.|\[")(RALPH_[A-Z_]+)/g))
        read.add(m[1] as string);
    }
    expect(read.size).toBeGreaterThan(10);
    expect([...read].filter((name) => !readme.includes(name))).toEqual([]);
  });

  it("states the lease lengths the code uses, and never says 'the brief'", () => {
    expect(DEFAULT_LEASE_MS).toBe(15 * 60 * 1000);
    expect(readme).toContain("15 minutes");
    expect(DEFAULT_OPTIONS.leaseMs).toBe(5 * 60 * 1000);
    expect(readme).toContain(`"leaseMs": ${DEFAULT_OPTIONS.leaseMs}`);
    expect(readme).not.toMatch(/\bthe brief\b/i);
  });
});
