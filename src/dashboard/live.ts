/**
 * The board, live: one subscription per server to the store's change feed (through the
 * process's ChangeHub, which also hears other processes' commits), fanned out to every open page
 * as Server-Sent Events. A change costs one board snapshot and one serialisation however many
 * pages are open; pages never poll the database.
 *
 * Runs change apart from the queue (a phase, a heartbeat): this process's runs are heard from the
 * RunRegistry at once; runs of other processes (`ralph-mcp run` in a terminal) are read once a
 * second per server, and only while a page is open and a shown run is running.
 */
import type { ServerResponse } from "node:http";
import { isFinalRunStatus } from "../domain/run.js";
import { log } from "../log.js";
import type { ChangeHub } from "../mcp/changes.js";
import type { RunRegistry } from "../orchestrator/registry.js";
import type { TaskStore } from "../store/types.js";
import { boardSnapshot, recentRuns } from "./snapshot.js";
import type { Board, HistoryPoint } from "./types.js";

/** Points of completed/failed history kept per server (one per change that moved a count). */
const HISTORY_POINTS = 240;

export interface BoardFeedOptions {
  store: TaskStore;
  hub: ChangeHub;
  runs?: RunRegistry | undefined;
  /** How often runs of other processes are read while one is running (default 1000 ms). */
  runPollMs?: number | undefined;
  /** Comment lines keep idle streams open through proxies (default 25 s). */
  keepAliveMs?: number | undefined;
}

export class BoardFeed {
  private readonly pages = new Set<ServerResponse>();
  /** The session each stream was opened under (token-protected boards), to end them at sign-out. */
  private readonly sessions = new Map<ServerResponse, string>();
  private latest: { board: Board; frame: string } | null = null;
  private building: Promise<void> | null = null;
  private dirty = false;
  private stopHub: (() => void) | null = null;
  private stopRuns: (() => void) | null = null;
  private runTimer: NodeJS.Timeout | null = null;
  private keepAlive: NodeJS.Timeout | null = null;
  private runSignature = "";
  /** Kept across idle spells, so a page opened later still sees the picture over time. */
  private readonly history: HistoryPoint[] = [];
  private closed = false;
  /** Snapshots taken since start (the benchmark's "work per change"). */
  builds = 0;

  constructor(private readonly options: BoardFeedOptions) {}

  get size(): number {
    return this.pages.size;
  }

  /** The board as it is now (the latest picture when pages are watching, else a fresh one). */
  async current(): Promise<Board> {
    if (this.latest && this.stopHub) return this.latest.board;
    return boardSnapshot(this.options.store);
  }

  /** Stream the board to `res` (already answered 200 text/event-stream) until it closes. */
  attach(res: ServerResponse, session?: string): void {
    if (this.closed) {
      res.end();
      return;
    }
    this.pages.add(res);
    if (session !== undefined) this.sessions.set(res, session);
    res.write("retry: 2000\n\n");
    res.once("close", () => {
      this.pages.delete(res);
      this.sessions.delete(res);
      if (this.pages.size === 0) this.idle();
    });
    if (!this.stopHub) this.wake();
    else if (this.latest) res.write(this.latest.frame);
  }

  private wake(): void {
    const { hub, runs } = this.options;
    this.stopHub = hub.subscribe(() => this.changed());
    this.stopRuns = runs ? runs.onAnyRun(() => this.changed()) : null;
    this.runTimer = setInterval(() => void this.pollRuns(), this.options.runPollMs ?? 1000);
    this.runTimer.unref();
    this.keepAlive = setInterval(() => this.send(": keep-alive\n\n"), this.options.keepAliveMs ?? 25_000);
    this.keepAlive.unref();
    this.changed();
  }

  private idle(): void {
    this.stopHub?.();
    this.stopRuns?.();
    this.stopHub = null;
    this.stopRuns = null;
    if (this.runTimer) clearInterval(this.runTimer);
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.runTimer = null;
    this.keepAlive = null;
    this.latest = null;
  }

  /** Something changed: take a new picture, or one more after the one being taken. */
  private changed(): void {
    if (this.closed) return;
    if (this.building) {
      this.dirty = true;
      return;
    }
    this.building = this.build().finally(() => {
      this.building = null;
      if (this.dirty) {
        this.dirty = false;
        this.changed();
      }
    });
  }

  private async build(): Promise<void> {
    try {
      const board = await boardSnapshot(this.options.store);
      this.builds++;
      this.record(board);
      board.history = this.history;
      this.runSignature = signature(board.runs);
      const frame = `event: board\ndata: ${JSON.stringify(board)}\n\n`;
      this.latest = { board, frame };
      this.send(frame);
    } catch (error) {
      log.warn({ err: error }, "dashboard: could not read the board");
      this.send(
        `event: trouble\ndata: ${JSON.stringify({ message: "The store did not answer; retrying." })}\n\n`,
      );
    }
  }

  private record(board: Board): void {
    const { completed, failed } = board.stats;
    const last = this.history.at(-1);
    if (last && last.completed === completed && last.failed === failed) return;
    this.history.push({ at: board.at, completed, failed });
    if (this.history.length > HISTORY_POINTS) this.history.splice(0, this.history.length - HISTORY_POINTS);
  }

  /** Runs of other processes do not reach the change feed; look while one is shown running. */
  private async pollRuns(): Promise<void> {
    const shown = this.latest?.board.runs ?? [];
    if (this.building || !shown.some((r) => !isFinalRunStatus(r.status))) return;
    try {
      const runs = await recentRuns(this.options.store);
      if (signature(runs) !== this.runSignature) this.changed();
    } catch (error) {
      log.debug({ err: error }, "dashboard: could not read the runs");
    }
  }

  /** End the streams opened under `session` (it was signed out). */
  endSession(session: string): void {
    for (const [res, s] of this.sessions) if (s === session) res.end();
  }

  private send(frame: string): void {
    for (const page of this.pages) page.write(frame);
  }

  close(): void {
    this.closed = true;
    this.idle();
    for (const page of this.pages) page.end();
    this.pages.clear();
  }
}

function signature(runs: readonly { id: string; status: string; updated_at: string }[]): string {
  return runs.map((r) => `${r.id}:${r.status}:${r.updated_at}`).join(",");
}
