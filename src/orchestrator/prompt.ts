/**
 * The prompt of one attempt: the task, its acceptance criteria, and the feedback on every earlier
 * attempt, in order. (The brief stored the verifier's feedback but never showed it to the next
 * attempt, so a retry repeated the same mistake; here every entry reaches the agent.)
 */
import type { Task } from "../domain/task.js";

/** One entry longer than this is cut in the prompt (the task keeps it whole). */
export const FEEDBACK_ENTRY_CHARS = 8000;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [cut: ${text.length - max} more characters]`;
}

const SOURCE_LABEL = { verifier: "reviewer", user: "user", system: "system" } as const;

export function buildPrompt(task: Task, attempt: number): string {
  const parts = [
    `You are working on ${task.id}, attempt ${attempt} of ${task.max_attempts}.`,
    "",
    "## Task",
    task.description.trim(),
  ];
  if (task.criteria?.trim()) {
    parts.push("", "## Acceptance criteria", task.criteria.trim());
  }
  if (task.feedback.length > 0) {
    parts.push(
      "",
      "## Feedback on earlier attempts",
      "Earlier attempts were not accepted. Address every point below; do not repeat what was rejected.",
    );
    for (const entry of task.feedback) {
      parts.push(
        "",
        `### Attempt ${entry.attempt} (${SOURCE_LABEL[entry.source]})`,
        clip(entry.text.trim(), FEEDBACK_ENTRY_CHARS),
      );
    }
  }
  parts.push("", "## Answer", "Do the task. Reply with the result only: it is stored as the task's result.");
  return parts.join("\n");
}
