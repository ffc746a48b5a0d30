/**
 * Running git for the worktree workspaces: argument lists (never a shell), a clean environment
 * (no GIT_DIR or GIT_WORK_TREE inherited from a hook or a test runner), no prompts, and errors
 * that carry git's own words.
 */
import { execFile } from "node:child_process";
import { sleep } from "../clock.js";

export class GitError extends Error {
  override readonly name = "GitError";
  constructor(
    readonly args: readonly string[],
    readonly code: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(
      `git ${args.join(" ")} failed${code === null ? "" : ` (exit ${code})`}: ${stderr.trim() || stdout.trim()}`,
    );
  }
}

function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" };
  for (const name of ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX"]) {
    delete env[name];
  }
  return env;
}

export interface GitOptions {
  /** Exit codes that are answers, not failures (e.g. 1 from `git diff --quiet`). */
  okCodes?: readonly number[];
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Another git process holds one of the repository's lock files (refs, packed-refs, config, index). */
const LOCK_CONTENTION = /Unable to create '[^']+\.lock'|cannot lock ref|could not lock config file/i;

/**
 * Run `git <args>` in `cwd`; rejects with a GitError unless it exits 0 (or an okCode). Several
 * runs share a repository, so a command that met another git's lock file is tried again a few
 * times (git itself does not wait for them).
 */
export async function git(
  cwd: string,
  args: readonly string[],
  options: GitOptions = {},
): Promise<GitResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await gitOnce(cwd, args, options);
    } catch (error) {
      if (!(error instanceof GitError) || !LOCK_CONTENTION.test(error.stderr) || attempt >= 8) throw error;
      await sleep(10 * attempt);
    }
  }
}

function gitOnce(cwd: string, args: readonly string[], options: GitOptions): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      {
        cwd,
        env: gitEnv(),
        maxBuffer: 64 * 1024 * 1024,
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        if (code === 0 || (code !== null && options.okCodes?.includes(code))) {
          resolve({ code, stdout, stderr });
        } else {
          reject(new GitError(args, code, stdout, stderr || (error?.message ?? "")));
        }
      },
    );
  });
}

/**
 * `-c user.name=… -c user.email=…` for the commits ralph-mcp makes for an agent, only where the
 * repository (or the environment) has no identity of its own: a configured one always wins.
 */
export async function identityArgs(cwd: string): Promise<string[]> {
  const configured = async (key: string) =>
    (await git(cwd, ["config", "--get", key], { okCodes: [1] })).stdout.trim() !== "";
  const args: string[] = [];
  if (!(await configured("user.name")) && !process.env.GIT_AUTHOR_NAME)
    args.push("-c", "user.name=ralph-mcp");
  if (!(await configured("user.email")) && !process.env.GIT_AUTHOR_EMAIL) {
    args.push("-c", "user.email=ralph-mcp@localhost");
  }
  return args;
}

/** Lines of output, without the empty last one. */
export function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}
