/**
 * Running git for the worktree workspaces: argument lists (never a shell), a clean environment
 * (no GIT_DIR or GIT_WORK_TREE inherited from a hook or a test runner), no prompts, and errors
 * that carry git's own words.
 */
import { execFile } from "node:child_process";

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

/** Run `git <args>` in `cwd`; rejects with a GitError unless it exits 0 (or an okCode). */
export function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
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
