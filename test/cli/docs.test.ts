/**
 * The README tells the truth about what the code accepts: every key of the config file, every
 * environment variable the code reads, and the defaults a user relies on. (A key the code
 * accepted but no page named was a setting nobody could find.) And the package is what it says:
 * the lockfile matches package.json, the license it declares is there, stray files stay out.
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

describe("the package", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));

  it("package-lock.json records package.json's own dependencies (npm install leaves it unchanged)", () => {
    const locked = lock.packages[""];
    expect(lock.name).toBe(pkg.name);
    expect(locked.version).toBe(pkg.version);
    for (const kind of ["dependencies", "devDependencies", "optionalDependencies"] as const) {
      expect(locked[kind] ?? {}, kind).toEqual(pkg[kind] ?? {});
    }
    // And each of them is installed by the lockfile (an entry with a version).
    for (const name of [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})]) {
      expect(lock.packages[`node_modules/${name}`]?.version, name).toBeTruthy();
    }
  });

  it("ships the license it declares, and keeps node trace files out of git", () => {
    expect(pkg.license).toBe("MIT");
    const license = readFileSync(join(root, "LICENSE"), "utf8");
    expect(license).toMatch(/^MIT License\n/);
    expect(license).toContain("Permission is hereby granted, free of charge");
    expect(readFileSync(join(root, ".gitignore"), "utf8")).toMatch(/^node_trace\.\*\.log$/m);
  });
});
