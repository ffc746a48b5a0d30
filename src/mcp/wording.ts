/**
 * The MCP layer's words for the domain's problems: what a model should call next, by tool name.
 * The terminal has its own (src/commands/wording.ts); the domain and the stores name neither.
 */
import { isRalphError, type Problem, type RalphError, shownId, storeFailure } from "../domain/errors.js";
import { VERB } from "../domain/transitions.js";

/** What the tool error says for a thrown RalphError. */
export function toolMessage(error: RalphError): string {
  const worded = error.problem ? wordProblem(error.problem) : undefined;
  const message = worded ?? error.message;
  switch (storeFailure(error)) {
    case "rolled_back":
      return `${message} Nothing was changed; try the same call again in a moment.`;
    case "outcome_unknown":
      return `${message} It may or may not have been made: look (get_task, list_tasks) before calling again; add_task with the same idempotency_key is safe to repeat.`;
    case "permanent":
      return `${message} Trying the same call again will not help.`;
    default:
      return message;
  }
}

/** An error's text for MCP readers (a resource's not-found, a run's feedback): worded when it can be. */
export function mcpText(error: unknown): string {
  if (isRalphError(error)) return toolMessage(error);
  return error instanceof Error ? error.message : String(error);
}

function wrongStatusAdvice(p: Extract<Problem, { kind: "wrong_status" }>): string {
  switch (p.status) {
    case "pending":
      return p.action === "retry"
        ? "It is already waiting in line: start it, claim it with claim_next_task, or complete it."
        : "Claim it with claim_next_task or start it with start_task first.";
    case "in_progress":
      return p.action === "delete"
        ? `It is being worked on${p.claimed_by ? ` by ${p.claimed_by}` : ""} (attempt ${p.attempts}): pass force: true to delete it anyway.`
        : `It is being worked on${p.claimed_by ? ` by ${p.claimed_by}` : ""} (attempt ${p.attempts}): complete it, fail it, or retry it.`;
    case "completed":
      return p.action === "update"
        ? "It is done: add a new task instead, or use retry_task to queue it again first."
        : "It is done: use retry_task with feedback to queue it again.";
    case "failed":
      return p.action === "update"
        ? "Use retry_task to queue it again first, or add a new task."
        : "Use retry_task to queue it again.";
  }
}

function wordProblem(p: Problem): string | undefined {
  switch (p.kind) {
    case "task_not_found":
      if (p.pending.length > 0)
        return `No task ${shownId(p.id)}. Pending tasks: ${p.pending.join(", ")} (list_tasks shows all).`;
      return p.recent.length > 0
        ? `No task ${shownId(p.id)}. Recent tasks: ${p.recent.join(", ")} (list_tasks shows all).`
        : `No task ${shownId(p.id)}: the queue is empty. Add one with add_task.`;
    case "not_a_task_id":
      return `"${shownId(p.id)}" is not a task id. Task ids look like task-001; list_tasks shows them.`;
    case "wrong_status": {
      if (p.action === "complete" && p.status === "completed")
        return `${p.id} is already completed. To do it again, use retry_task with feedback first.`;
      if (p.action === "fail" && p.status === "failed")
        return `${p.id} has already failed. Use retry_task to queue it again.`;
      const head = `${p.id} is ${p.status}: only a task that is ${p.allowed.join(" or ")} can be ${VERB[p.action]}.`;
      return `${head} ${wrongStatusAdvice(p)}`;
    }
    case "dependencies_unmet":
      return (
        `${p.id} waits for ${p.unmet.join(", ")}, which ${p.unmet.length === 1 ? "is" : "are"} not completed yet. ` +
        "Finish those first, or take another task with claim_next_task."
      );
    case "attempts_spent":
      return `${p.id} has used all ${p.max_attempts} attempts; it cannot be started again. Add a new task instead.`;
    case "unknown_dependency": {
      const where = p.batch && p.item !== null ? `tasks[${p.item}].` : "";
      const alt = p.batch ? ", or #N for the batch's N-th item" : "";
      return `${where}depends_on: there is no task ${p.dep}. Name existing task ids (list_tasks shows them)${alt}.`;
    }
    case "no_ids":
      return "task_ids must name at least one task.";
    case "repeated_ids":
      return p.ids[0] === p.ids[1]
        ? `task_ids names ${p.task} twice; list each task once.`
        : `task_ids names ${p.task} twice ("${p.ids[0]}" and "${p.ids[1]}" are the same task); list each task once.`;
    default:
      return undefined;
  }
}
