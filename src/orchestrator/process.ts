/**
 * Running a configured shell command for the command executor and verifier: input on stdin,
 * output captured up to a cap, a timeout, and cancellation. The command runs in a process group of
 * its own (spawned detached), so on timeout or cancel the whole tree — the shell, the agent CLI it
 * started, the tools that started, also those that left the group with setsid — is killed:
 * SIGTERM, then SIGKILL after a grace period (process-tree.ts says exactly what is killed). When
 * the command exits by itself, what it left running is ended too. If the server dies, its reaper
 * kills the tree (process-tree.ts), so an agent never outlives its server.
 *
 * The command line comes from the server's configuration only; tool arguments never reach it. It
 * inherits the server's environment (agents need their own keys) except the server's own secrets
 * (WITHHELD_ENV: RALPH_HTTP_TOKEN, the HTTP transport's bearer token; RALPH_OAUTH_CLIENT_SECRET).
 */

import { type ChildProcess, spawn } from "node:child_process";
import { StringDecoder } from "node:string_decoder";
import { EXECUTION_ENV, killTree, newExecutionMark, reaper, treeAlive } from "./process-tree.js";
import { decodeCutEnd, decodeCutStart } from "./text-cut.js";

export interface CommandSpec {
  /** A shell command line, from configuration. */
  command: string;
  /** Written to stdin, which is then closed. */
  input: string;
  /** Added to the inherited environment (the server's, without WITHHELD_ENV such as RALPH_HTTP_TOKEN). */
  env: Record<string, string>;
  timeoutMs: number;
  /** stdout beyond this many bytes is read and dropped. */
  maxOutputBytes: number;
  killGraceMs: number;
  cwd?: string | undefined;
  /** Every piece of stdout and stderr as it comes, decoded (for the run's live output tail). */
  onOutput?: ((text: string) => void) | undefined;
}

export interface CommandOutcome {
  /** exited: it ended by itself; timeout / aborted: we killed its tree; spawn_error: it never ran. */
  kind: "exited" | "timeout" | "aborted" | "spawn_error";
  /** The exit code when it exited (null when a signal ended it). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last few KB of stderr, for failure reasons. */
  stderrTail: string;
  /** True when stdout went past maxOutputBytes and was cut. */
  truncated: boolean;
  pid: number | undefined;
  durationMs: number;
  error?: string;
}

const STDERR_TAIL_BYTES = 4096;
const isWindows = process.platform === "win32";

/** An outcome of a command that never ran: nothing read, no process. */
function notRun(kind: "aborted" | "spawn_error", durationMs: number, error?: string): CommandOutcome {
  return {
    kind,
    code: null,
    signal: null,
    stdout: "",
    stderrTail: "",
    truncated: false,
    pid: undefined,
    durationMs,
    ...(error !== undefined ? { error } : {}),
  };
}

/**
 * Variables of the server's environment a command does not get: the server's own secrets. Agents
 * keep everything else (their API keys, PATH, HOME, …).
 */
export const WITHHELD_ENV: readonly string[] = ["RALPH_HTTP_TOKEN", "RALPH_OAUTH_CLIENT_SECRET"];

/** The server's environment without what is withheld, plus the command's own variables. */
export function commandEnv(
  extra: Record<string, string>,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of WITHHELD_ENV) delete env[name];
  return { ...env, ...extra };
}

export function runCommand(spec: CommandSpec, signal?: AbortSignal): Promise<CommandOutcome> {
  const started = Date.now();
  return new Promise((resolvePromise) => {
    if (signal?.aborted) {
      resolvePromise(notRun("aborted", 0));
      return;
    }
    // What belongs to this execution, and its tie to the server's life: process-tree.ts.
    const mark = newExecutionMark();
    let child: ChildProcess;
    try {
      child = spawn(spec.command, {
        shell: true,
        detached: !isWindows,
        windowsHide: true,
        cwd: spec.cwd,
        env: commandEnv({ ...spec.env, [EXECUTION_ENV]: mark }),
        stdio: ["pipe", "pipe", "pipe"],
      });
    } catch (error) {
      resolvePromise(notRun("spawn_error", Date.now() - started, (error as Error).message));
      return;
    }
    if (child.pid !== undefined) reaper.watch(child.pid, mark, spec.killGraceMs);

    const out: Buffer[] = [];
    let outBytes = 0;
    let truncated = false;
    let errTail = Buffer.alloc(0);
    let ended: "timeout" | "aborted" | null = null;
    let killing: Promise<void> | null = null;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let spawnError: string | undefined;
    let settled = false;

    const live = spec.onOutput;
    if (live) {
      const decoders = { out: new StringDecoder("utf8"), err: new StringDecoder("utf8") };
      child.stdout?.on("data", (chunk: Buffer) => live(decoders.out.write(chunk)));
      child.stderr?.on("data", (chunk: Buffer) => live(decoders.err.write(chunk)));
    }
    child.stdout?.on("data", (chunk: Buffer) => {
      const room = spec.maxOutputBytes - outBytes;
      if (room <= 0) {
        truncated = true;
        return;
      }
      if (chunk.length > room) truncated = true;
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      out.push(kept);
      outBytes += kept.length;
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      errTail = Buffer.concat([errTail, chunk]);
      if (errTail.length > STDERR_TAIL_BYTES) errTail = errTail.subarray(errTail.length - STDERR_TAIL_BYTES);
    });
    // A command that does not read its stdin closes the pipe early: that is not an error.
    child.stdin?.on("error", () => {});
    child.stdin?.end(spec.input);

    const finish = async () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(pipeTimer);
      signal?.removeEventListener("abort", onAbort);
      if (killing) await killing;
      reaper.unwatch(mark);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolvePromise({
        kind: spawnError !== undefined ? "spawn_error" : (ended ?? "exited"),
        code: exit?.code ?? null,
        signal: exit?.signal ?? null,
        stdout: decodeCutEnd(Buffer.concat(out)),
        stderrTail: decodeCutStart(errTail),
        truncated,
        pid: child.pid,
        durationMs: Date.now() - started,
        ...(spawnError !== undefined ? { error: spawnError } : {}),
      });
    };

    const stop = (why: "timeout" | "aborted") => {
      if (ended || exit) return;
      ended = why;
      killing = killTree(child, mark, spec.killGraceMs);
    };
    const onAbort = () => stop("aborted");
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => stop("timeout"), spec.timeoutMs);
    let pipeTimer: NodeJS.Timeout | undefined;

    child.on("error", (error) => {
      spawnError = error.message;
      void finish();
    });
    child.on("exit", (code, sig) => {
      exit = { code, signal: sig };
      // It exited by itself: end whatever it left running in its group (those hold our pipes).
      if (!killing && child.pid !== undefined && treeAlive(child.pid, mark)) {
        killing = killTree(child, mark, spec.killGraceMs);
      }
      // A process that left the group but holds the pipes must not hold the result back forever.
      pipeTimer = setTimeout(() => void finish(), spec.killGraceMs + 1000);
    });
    // "close": the process exited and every holder of its stdout/stderr is gone: all output is read.
    child.on("close", (code, sig) => {
      exit ??= { code, signal: sig };
      void finish();
    });
  });
}
