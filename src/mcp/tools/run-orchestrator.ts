/**
 * run_orchestrator: the Ralph loop as a tool. The configured agent works through pending tasks
 * (claim → execute → verify → complete, or retry with feedback, or fail → circuit breaker → next).
 *
 * - wait (default): answers with the run's stats when it ends, sending progress notifications
 *   while it works (when the client gave a progressToken), so a client that resets its timeout on
 *   progress does not time out. Cancelling the request cancels the run: the current execution's
 *   process tree is killed and its task goes back in line.
 * - wait: false: answers with the run id at once; the run goes on in the background.
 * - run_id: an existing run instead of a new one — its state now (wait: false), its end (wait),
 *   or, with cancel: true, stop it.
 *
 * Only max_tasks reaches the orchestrator: executor and verifier (and their commands) come from
 * the server's configuration, and any other argument is refused, so a prompt injection cannot
 * become a shell.
 */
import type { CallToolResult, McpServer, ServerContext } from "@modelcontextprotocol/server";
import { z } from "zod";
import { isFinalRunStatus, type Run } from "../../domain/run.js";
import { log } from "../../log.js";
import type { CreateMessage, SamplingResult } from "../../orchestrator/executors/sampling.js";
import { describeRun } from "../../orchestrator/format.js";
import type { RunRegistry } from "../../orchestrator/registry.js";
import { runUri } from "../changes.js";
import type { McpContext } from "../context.js";
import { ok, toolError } from "../results.js";
import { defineTool } from "./define.js";
import type { ToolRegistrar } from "./index.js";

/** How long one sampling request may wait for the client (a person may have to approve it). */
const SAMPLING_TIMEOUT_MS = 10 * 60 * 1000;

const ARGUMENTS = "max_tasks, wait, run_id, cancel";

const inputSchema = z.strictObject(
  {
    max_tasks: z
      .int({ error: "max_tasks must be a whole number ≥ 1" })
      .min(1, { error: "max_tasks must be a whole number ≥ 1" })
      .optional()
      .describe("Default 10"),
    wait: z.boolean({ error: "wait must be true or false" }).optional().describe("Default true"),
    run_id: z.string({ error: "run_id must be a string like run-001" }).optional().describe("e.g. run-001"),
    cancel: z.boolean({ error: "cancel must be true or false" }).optional().describe("Stop run_id"),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `run_orchestrator takes only ${ARGUMENTS}; not ${issue.keys.join(", ")}. ` +
          "The agent and check commands come from the server's configuration, never from arguments."
        : undefined,
  },
);

/**
 * structuredContent: the message, the run id, its status and stop_code, then the run's stats at the
 * top level. Only the first two are listed (every byte of tools/list counts); the rest is checked
 * by summary()'s type.
 */
const outputSchema = z.looseObject({ message: z.string(), run_id: z.string() });

/** The run's stats as the brief names them, with its id and status. */
function summary(run: Run) {
  const s = run.stats;
  return {
    run_id: run.id,
    status: run.status,
    stop_code: run.stop_code,
    processed: s.processed,
    completed: s.completed,
    failed: s.failed,
    retried: s.retried,
    lost: s.lost ?? 0,
    executions: s.executions,
    elapsed_seconds: s.elapsed_seconds,
    stop_reason: run.stop_reason ?? s.stop_reason,
    tokens: { input: s.tokens.input, output: s.tokens.output },
    cost_usd: s.cost_usd,
  };
}

function reply(run: Run, message: string): CallToolResult {
  const stats = summary(run);
  return ok({ message, ...stats }, `${message}\n${JSON.stringify(stats)}`);
}

function started(run: Run): string {
  return (
    `Started ${run.id} in the background (up to ${run.max_tasks} task${run.max_tasks === 1 ? "" : "s"}). ` +
    `Follow it at ${runUri(run.id)}, or call run_orchestrator with run_id "${run.id}" ` +
    `(wait: false for its state now, cancel: true to stop it).`
  );
}

/**
 * Progress notifications for this request, when its client asked for them: sent one after another
 * (progress must increase as the client sees it), and all out before the result (`end()`), which a
 * client may take as the end of the request's notifications.
 */
function progressFor(req: ServerContext): { send(message: string): void; end(): Promise<void> } {
  const token = req.mcpReq._meta?.progressToken;
  let progress = 0;
  let ended = token === undefined;
  let sent = Promise.resolve();
  return {
    send(message) {
      if (ended) return;
      progress += 1;
      const params = { progressToken: token, progress, message };
      sent = sent
        .then(() => req.mcpReq.notify({ method: "notifications/progress", params }))
        .catch((error) => log.debug({ err: error }, "progress not sent"));
    },
    end() {
      ended = true;
      return sent;
    },
  };
}

export interface RunToolOptions {
  runs: RunRegistry;
  /** The protocol era of the instance: only 2025-era clients can be sampled. */
  era: "legacy" | "modern";
}

export function runOrchestratorTool(options: RunToolOptions): ToolRegistrar {
  return (server, ctx) => registerRunOrchestrator(server, ctx, options);
}

function registerRunOrchestrator(server: McpServer, ctx: McpContext, { runs, era }: RunToolOptions): void {
  /** Background runs that sample this connection's client: they end with it. */
  const sampling = new Set<string>();
  const previous = server.server.onclose;
  server.server.onclose = () => {
    for (const id of sampling) {
      runs.cancel(id, "The client that offered sampling disconnected").catch(() => {});
    }
    sampling.clear();
    previous?.();
  };

  /** The client's model, for RALPH_EXECUTOR=sampling, when this is a 2025-era client that offers it. */
  const samplerFor = (req: ServerContext, wait: boolean): CreateMessage | undefined => {
    if (era !== "legacy" || !server.server.getClientCapabilities()?.sampling) return undefined;
    const options = (signal: AbortSignal) => ({ signal, timeout: SAMPLING_TIMEOUT_MS });
    // A waiting run samples within its request; a background one outlives it.
    return wait
      ? async (request, signal) =>
          (await req.mcpReq.requestSampling(request, options(signal))) as SamplingResult
      : async (request, signal) =>
          (await server.server.createMessage(request, options(signal))) as SamplingResult;
  };

  /** Wait for a run to end, with progress; resolves early (with the run as it is) if the request is cancelled. */
  const follow = (id: string, req: ServerContext): Promise<Run> => {
    const progress = progressFor(req);
    const signal = req.mcpReq.signal;
    const handle = runs.handle(id);
    return new Promise<Run>((resolve, reject) => {
      let last: Run | null = null;
      let stop = () => {};
      const finish = (run: Run) => {
        stop();
        signal.removeEventListener("abort", onAbort);
        void progress.end().then(() => resolve(run));
      };
      const onAbort = () => {
        if (last) finish(last);
        else runs.get(id).then(finish, reject);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      if (handle) {
        stop = handle.onProgress((event) => {
          last = event.run;
          progress.send(event.message);
        });
        void handle.done.then(finish);
        return;
      }
      stop = runs.watch(id, (run) => {
        last = run;
        if (isFinalRunStatus(run.status)) finish(run);
        else progress.send(describeRun(run));
      });
    });
  };

  defineTool(
    server,
    "run_orchestrator",
    {
      title: "Run the queue",
      description:
        "Work pending tasks with the configured agent (execute, verify, retry). " +
        "Returns run stats; wait false: its id at once.",
      inputSchema,
      outputSchema,
      hints: { readOnly: false, destructive: true, idempotent: false, openWorld: true },
    },
    async ({ max_tasks, wait = true, run_id, cancel }, req) => {
      if (run_id === undefined) {
        if (cancel) return toolError("cancel needs run_id: the run to stop, e.g. run-001.");
        const progress = progressFor(req);
        const handle = await runs.start({
          maxTasks: max_tasks,
          signal: wait ? req.mcpReq.signal : undefined,
          onProgress: wait ? (event) => progress.send(event.message) : undefined,
          sampling: samplerFor(req, wait),
          startedBy: ctx.workerId(req),
        });
        if (!wait) {
          const run = handle.snapshot();
          if (run.settings.executor === "sampling") {
            sampling.add(run.id);
            void handle.done.then(() => sampling.delete(run.id));
          }
          return reply(run, started(run));
        }
        const final = await handle.done;
        await progress.end();
        return reply(final, describeRun(final));
      }

      if (max_tasks !== undefined) {
        return toolError(`max_tasks is for a new run; leave it out with run_id (${run_id.slice(0, 40)}).`);
      }
      if (cancel) {
        const before = await runs.get(run_id);
        if (isFinalRunStatus(before.status)) {
          return reply(before, `Nothing to cancel: ${describeRun(before)}`);
        }
        const after = await runs.cancel(before.id, "Cancelled with run_orchestrator");
        if (isFinalRunStatus(after.status)) return reply(after, describeRun(after));
        // A run of another process stops at its next heartbeat.
        if (!wait) {
          return reply(
            after,
            `Asked ${after.id} to stop (it runs in another process and stops within seconds).`,
          );
        }
        const final = await follow(after.id, req);
        return reply(final, describeRun(final));
      }
      const run = await runs.get(run_id);
      if (!wait || isFinalRunStatus(run.status)) return reply(run, describeRun(run));
      const final = await follow(run.id, req);
      return reply(final, describeRun(final));
    },
  );
}
