/**
 * The terminal's words for the domain's problems: what a person should type next, by command
 * name. The MCP layer has its own (src/mcp/wording.ts); no message here names an MCP tool.
 */
import { type Problem, type RalphError, shownId, storeFailure } from "../domain/errors.js";
import { VERB } from "../domain/transitions.js";
import { EXIT } from "./exit.js";

/** The option (or argument) each input field is given with on the command line. */
const FLAGS: Record<string, string> = {
  description: "The description",
  criteria: "--criteria",
  priority: "--priority",
  max_attempts: "--max-attempts",
  depends_on: "--depends-on",
  tags: "--tag",
  idempotency_key: "--key",
  result: "--result",
  reason: "--reason",
  feedback: "--feedback",
  limit: "--limit",
  status: "--status",
};

/** "--priority must be from 1 (highest) to 10 (lowest)": a field's problem in the terminal's words. */
export function valueMessage(field: string | null, text: string): string {
  if (field === null) return text;
  const flag = FLAGS[field] ?? field;
  return /^(must|is|names|has|may|cannot)\b/.test(text) ? `${flag} ${text}` : `${flag}: ${text}`;
}

export interface WordingContext {
  /** Batch items are rows of a file being imported (numbered from 1, fields by their JSON names). */
  rows?: boolean;
}

/** What the terminal prints for a thrown RalphError. */
export function cliMessage(error: RalphError, context: WordingContext = {}): string {
  const worded = error.problem ? wordProblem(error.problem, context) : undefined;
  const message = worded ?? error.message;
  switch (storeFailure(error)) {
    case "rolled_back":
      return `${message} Nothing was changed; run the same command again in a moment.`;
    case "outcome_unknown":
      return `${message} It may or may not have been made: look (ralph-mcp show, ralph-mcp list) before running it again; an add with the same --key is safe to repeat.`;
    case "permanent":
      return `${message} Running the same command again will not help.`;
    default:
      return error.retryable
        ? `${message} Nothing was changed; run the same command again in a moment.`
        : message;
  }
}

export function exitCodeOf(error: RalphError): number {
  const failure = storeFailure(error);
  if (error.retryable || failure === "rolled_back" || failure === "outcome_unknown") return EXIT.unavailable;
  if (failure === "permanent") return EXIT.refused;
  if (error.code === "invalid_input") return EXIT.usage;
  return EXIT.refused;
}

const by = (claimedBy: string | null) => (claimedBy ? ` by ${claimedBy}` : "");

function wrongStatus(p: Extract<Problem, { kind: "wrong_status" }>): string {
  if (p.action === "complete" && p.status === "completed")
    return `${p.id} is already completed. To do it again, queue it with: ralph-mcp retry ${p.id} --feedback "…"`;
  if (p.action === "fail" && p.status === "failed")
    return `${p.id} has already failed. Queue it again with: ralph-mcp retry ${p.id}`;
  const head = `${p.id} is ${p.status.replace("_", " ")}: only a task that is ${p.allowed.map((s) => s.replace("_", " ")).join(" or ")} can be ${VERB[p.action]}.`;
  switch (p.status) {
    case "pending":
      return p.action === "retry"
        ? `${head} It is already waiting in line: ralph-mcp run will take it, or complete it with ralph-mcp complete ${p.id}.`
        : `${head} It has not started yet.`;
    case "in_progress":
      if (p.action === "delete")
        return `${head} It is being worked on${by(p.claimed_by)} (attempt ${p.attempts}): add --force to delete it anyway.`;
      return `${head} It is being worked on${by(p.claimed_by)} (attempt ${p.attempts}): complete, fail or retry it first.`;
    case "completed":
      return p.action === "update"
        ? `${head} It is done: add a new task instead, or queue it again first with ralph-mcp retry ${p.id}.`
        : `${head} It is done: queue it again with ralph-mcp retry ${p.id} --feedback "…".`;
    case "failed":
      return p.action === "update"
        ? `${head} Queue it again first with ralph-mcp retry ${p.id}, or add a new task.`
        : `${head} Queue it again with ralph-mcp retry ${p.id}.`;
  }
}

function wordProblem(p: Problem, context: WordingContext): string | undefined {
  const row = (item: number | null) => (context.rows && item !== null ? `row ${item + 1}: ` : "");
  switch (p.kind) {
    case "task_not_found":
      if (p.pending.length > 0)
        return `No task ${shownId(p.id)}. Pending tasks: ${p.pending.join(", ")} (ralph-mcp list shows all).`;
      return p.recent.length > 0
        ? `No task ${shownId(p.id)}. Recent tasks: ${p.recent.join(", ")} (ralph-mcp list shows all).`
        : `No task ${shownId(p.id)}: the queue is empty. Add one with: ralph-mcp add "…"`;
    case "not_a_task_id":
      return `"${shownId(p.id)}" is not a task id. Task ids look like task-001; ralph-mcp list shows them.`;
    case "wrong_status":
      return wrongStatus(p);
    case "dependencies_unmet":
      return `${p.id} waits for ${p.unmet.join(", ")}, which ${p.unmet.length === 1 ? "is" : "are"} not completed yet. Finish ${p.unmet.length === 1 ? "it" : "those"} first.`;
    case "attempts_spent":
      return `${p.id} has used all ${p.max_attempts} attempts; it cannot be started again. Start it over with ralph-mcp reset ${p.id}, or add a new task.`;
    case "unknown_dependency":
      return context.rows
        ? `${row(p.item)}depends_on: there is no task ${p.dep}, in the file or in the store.`
        : `--depends-on: there is no task ${p.dep}. Name existing task ids (ralph-mcp list shows them).`;
    case "invalid_value":
      if (context.rows) return `${row(p.item)}${p.field === null ? p.text : `${p.field} ${p.text}`}`;
      return valueMessage(p.field, p.text);
    case "no_ids":
      return "Name at least one task id.";
    case "repeated_ids":
      return p.ids[0] === p.ids[1]
        ? `${p.task} is named twice; name each task once.`
        : `${p.task} is named twice ("${p.ids[0]}" and "${p.ids[1]}" are the same task); name each task once.`;
    case "run_not_found":
      return p.recent.length > 0
        ? `No run ${shownId(p.id)}. Recent runs: ${p.recent.join(", ")} (ralph-mcp runs list shows them).`
        : `No run ${shownId(p.id)}: no run has been started on this store yet. Start one with ralph-mcp run.`;
    case "run_ended":
      return `${p.id} has already ended (${p.status}).`;
    default:
      return undefined;
  }
}
