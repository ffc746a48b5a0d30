/**
 * Real browsers for the dashboard tests: headless Chromium from Debian's `chromium` package,
 * driven by playwright-core (never a browser download). One browser per test file; a fresh page
 * (its own cookies) per test. Screenshots go to test-artifacts/dashboard/ (printed).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { assertBuilt, CLI, serverEnv } from "../mcp/helpers.js";

export const CHROMIUM = process.env.RALPH_TEST_CHROMIUM ?? "/usr/bin/chromium";
export const ARTIFACTS = resolve(import.meta.dirname, "../../test-artifacts/dashboard");

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Save a screenshot of `page` as a test artifact and say where it is. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  process.stderr.write(`dashboard screenshot: ${path}\n`);
  return path;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `ralph-mcp <args>` on `db` as its own process (the built CLI), to completion. */
export function cli(db: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  assertBuilt();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, "--db", db, ...args], {
      env: serverEnv(db, env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    child.once("error", fail);
    child.once("close", (code) => done({ code, stdout, stderr }));
  });
}

/** `ralph-mcp run …` in the background with a command executor (the caller ends it). */
export function startRun(
  db: string,
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; exited: Promise<number | null> } {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, "--db", db, "run", ...args], {
    env: serverEnv(db, { RALPH_EXECUTOR: "command", RALPH_VERIFIER: "none", ...env }),
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr?.resume();
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  return { child, exited };
}
