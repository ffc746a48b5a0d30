/**
 * Driving the built command (dist/bin/ralph-mcp.js) in child processes, as a person or a script
 * would, and keeping everything it printed so a test can scan it all (no tool names, no escape
 * codes off a terminal).
 */
import { spawn } from "node:child_process";
import { assertBuilt, CLI } from "../mcp/helpers.js";

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every line any command printed in this test file, for the scans at the end. */
export const printed: Array<{ args: string[]; text: string }> = [];

/** The environment without the caller's RALPH_* settings, NO_COLOR or FORCE_COLOR. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("RALPH_") && k !== "NO_COLOR" && k !== "FORCE_COLOR") env[k] = v;
  }
  return { ...env, RALPH_LOG_LEVEL: "warn", ...extra };
}

/** Run `ralph-mcp --db <db> ...args` to the end; stdin is closed (not a terminal). */
export function ralph(
  db: string,
  args: string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<Result> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, "--db", db, ...args], {
    env: cleanEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  child.stdin.end(options.input ?? "");
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      printed.push({ args, text: stdout + stderr });
      resolve({ code, stdout, stderr });
    });
  });
}

/** The same, but on a pseudo-terminal (util-linux `script`): stdout and stderr are a TTY. */
export function ralphOnTty(db: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  assertBuilt();
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const command = [process.execPath, CLI, "--db", db, ...args].map(quote).join(" ");
  const child = spawn("script", ["-qec", command, "/dev/null"], {
    env: cleanEnv({ TERM: "xterm-256color", ...env }),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stdin.end();
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr: "" }));
  });
}
