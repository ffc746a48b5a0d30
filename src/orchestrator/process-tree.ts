/**
 * What belongs to one execution of an agent or check command, how it is killed, and how it is
 * killed when the server itself dies.
 *
 * An execution is its process group (the command is spawned detached, so its shell leads a group
 * of its own), plus, on Linux, every process descended from that shell (found through the parent
 * links in /proc, so a descendant that called `setsid` to leave the group is still found while its
 * parents live), plus every process whose environment carries the execution's mark
 * (RALPH_EXECUTION=<random id>, set by us and inherited by every descendant, so one that left the
 * group and was orphaned is found too). What escapes: a process that left the group, lost its
 * parent chain AND cleared its environment — that is a deliberately daemonised service, not part
 * of an agent's work. Elsewhere (macOS, BSD) the group is killed; on Windows, `taskkill /T`.
 *
 * Killing: SIGTERM to every member, then SIGKILL to whatever is still there after the grace
 * period (members are looked for again each time, so a process started during the grace period
 * is killed too).
 *
 * When the server dies (even by SIGKILL, which runs no code), its executions must not run on: a
 * re-claimed task would have two executions at once. The reaper is one small process per server
 * (node -e, started with the first execution, in a session of its own so a signal to the
 * server's group does not take it too). The server tells it each execution over a pipe; when the
 * pipe ends — the server is gone, for any reason — the reaper kills every execution still
 * registered, with the same code as the server uses (processTreeKit, passed to it as source),
 * and exits. If the reaper dies, the next execution starts a new one and registers all again.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";

/** The variable carrying an execution's mark in its environment. */
export const EXECUTION_ENV = "RALPH_EXECUTION";

export interface TreeKit {
  /** The live members of the execution led by `leader` with `mark`: pids, without zombies or the caller. */
  members(leader: number, mark: string): number[];
  /** Send `signal` to the group and to every member. */
  signal(leader: number, mark: string, signal: NodeJS.Signals): void;
  /** SIGTERM, wait up to `graceMs` for them to go, then SIGKILL what is left. */
  kill(leader: number, mark: string, graceMs: number): Promise<void>;
}

/**
 * The tree logic, self-contained (it refers to nothing outside itself but its arguments), because
 * the reaper runs its source text: one copy of the rule for the server and the reaper.
 */
export function processTreeKit(
  fsModule: Pick<typeof fs, "readdirSync" | "readFileSync">,
  proc: Pick<NodeJS.Process, "kill" | "platform" | "pid">,
  envName: string,
): TreeKit {
  const linux = proc.platform === "linux";
  const groupAlive = (leader: number): boolean => {
    try {
      proc.kill(-leader, 0);
      return true;
    } catch {
      return false;
    }
  };
  const members = (leader: number, mark: string): number[] => {
    if (!linux) return groupAlive(leader) ? [leader] : [];
    const needle = `${envName}=${mark}\0`;
    const parent = new Map<number, number>();
    const found = new Set<number>();
    let entries: string[];
    try {
      entries = fsModule.readdirSync("/proc");
    } catch {
      return groupAlive(leader) ? [leader] : [];
    }
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      if (pid === proc.pid) continue;
      let stat: string;
      try {
        stat = fsModule.readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue; // it ended while we looked
      }
      // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z" || fields[0] === "X") continue;
      parent.set(pid, Number(fields[1]));
      if (pid === leader || Number(fields[2]) === leader) {
        found.add(pid);
        continue;
      }
      try {
        if (fsModule.readFileSync(`/proc/${entry}/environ`, "latin1").includes(needle)) found.add(pid);
      } catch {
        // another user's process: not ours to read, nor to kill
      }
    }
    // Descendants of any member, through the parent links.
    let grew = true;
    while (grew) {
      grew = false;
      for (const [pid, ppid] of parent) {
        if (!found.has(pid) && found.has(ppid)) {
          found.add(pid);
          grew = true;
        }
      }
    }
    return [...found];
  };
  const signal = (leader: number, mark: string, sig: NodeJS.Signals): void => {
    try {
      proc.kill(-leader, sig); // the whole process group: pgid = the leader's pid (detached)
    } catch {
      // ESRCH: the group is already gone.
    }
    for (const pid of members(leader, mark)) {
      try {
        proc.kill(pid, sig);
      } catch {
        // gone already
      }
    }
  };
  const kill = async (leader: number, mark: string, graceMs: number): Promise<void> => {
    signal(leader, mark, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (members(leader, mark).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    signal(leader, mark, "SIGKILL");
  };
  return { members, signal, kill };
}

const kit = processTreeKit(fs, process, EXECUTION_ENV);
const isWindows = process.platform === "win32";

/** A fresh mark for one execution's environment. */
export function newExecutionMark(): string {
  return randomUUID();
}

/** Whether any process of the execution is still alive (zombies do not count). */
export function treeAlive(leader: number, mark: string): boolean {
  return !isWindows && kit.members(leader, mark).length > 0;
}

/** Kill the execution's whole tree: SIGTERM, then SIGKILL after `graceMs`. */
export async function killTree(child: ChildProcess, mark: string, graceMs: number): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (isWindows) {
    spawn("taskkill", ["/pid", String(pid), "/T", "/F"], { stdio: "ignore", windowsHide: true }).on(
      "error",
      () => {},
    );
    return;
  }
  await kit.kill(pid, mark, graceMs);
}

/** The reaper's own program: register and forget executions from stdin; kill them all when it ends. */
function reaperMain(makeKit: typeof processTreeKit, nodeFs: typeof fs, envName: string): void {
  const tree = makeKit(nodeFs, process, envName);
  const watched = new Map<string, { leader: number; mark: string; graceMs: number }>();
  let buffer = "";
  let ending = false;
  const end = async () => {
    if (ending) return;
    ending = true;
    await Promise.all([...watched.values()].map((w) => tree.kill(w.leader, w.mark, w.graceMs)));
    if (watched.size > 0) {
      process.stderr.write(
        `${JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, name: "ralph-mcp", executions: watched.size, msg: "the server is gone: killed its agent and check processes" })}\n`,
      );
    }
    process.exit(0);
  };
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const [op, leader, mark, grace] = buffer.slice(0, nl).split(" ");
      buffer = buffer.slice(nl + 1);
      if (op === "+" && leader && mark) {
        watched.set(mark, { leader: Number(leader), mark, graceMs: Number(grace) || 2000 });
      } else if (op === "-" && mark) {
        watched.delete(mark);
      }
    }
  });
  process.stdin.on("end", () => void end());
  process.stdin.on("error", () => void end());
  process.on("SIGTERM", () => void end());
  process.on("SIGINT", () => {}); // a terminal's Ctrl-C is for the server, which then closes the pipe
  process.on("SIGHUP", () => {});
}

/** The server's end of the reaper: started with the first execution, restarted if it dies. */
class Reaper {
  private child: ChildProcess | null = null;
  private readonly watched = new Map<string, string>();

  watch(leader: number, mark: string, graceMs: number): void {
    if (isWindows) return;
    const line = `+ ${leader} ${mark} ${Math.round(graceMs)}\n`;
    this.watched.set(mark, line);
    if (!this.child) this.start();
    else this.write(line);
  }

  unwatch(mark: string): void {
    if (!this.watched.delete(mark) || !this.child) return;
    this.write(`- 0 ${mark}\n`);
  }

  private start(): void {
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // a preload meant for the server (an inspector, a test hook) is not the reaper's
    // `require` is in the text, not the code: a bundler would rewrite it in code.
    const source = `(${reaperMain.toString()})(${processTreeKit.toString()}, require("node:fs"), ${JSON.stringify(EXECUTION_ENV)})`;
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, ["-e", source], {
        detached: true, // a session of its own: a signal to the server's group does not reach it
        stdio: ["pipe", "ignore", "inherit"],
        env,
      });
    } catch {
      return; // without a reaper, executions still die with a server that shuts down normally
    }
    this.child = child;
    child.on("error", () => {});
    child.stdin?.on("error", () => {});
    child.once("exit", () => {
      if (this.child === child) this.child = null;
    });
    // It must not keep the server alive; it ends by itself when the server is gone.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    for (const line of this.watched.values()) this.write(line);
  }

  private write(line: string): void {
    if (!this.child)
      this.start(); // it died: a new one gets every execution still watched
    else if (this.child.stdin?.writable) this.child.stdin.write(line);
  }
}

/** The process's reaper (see above). */
export const reaper = new Reaper();
