/**
 * A task's whole story: description, criteria, priority, dependencies both ways, attempts, every
 * feedback entry with its source and attempt, result, failure reason, timestamps.
 */
import type { TaskCard, TaskDetailView } from "../../src/dashboard/types.js";
import { STATUS_LABEL, time } from "./format.js";

interface PanelProps {
  detail: TaskDetailView | null;
  error: string | null;
  /** Cards on the board, to find the tasks that wait for this one. */
  cards: TaskCard[];
  onClose: () => void;
  onOpen: (id: string) => void;
  onRetry: (id: string) => void;
  onFail: (id: string) => void;
  onDelete: (id: string) => void;
}

export function TaskPanel({ detail, error, cards, onClose, onOpen, onRetry, onFail, onDelete }: PanelProps) {
  if (!detail) {
    return (
      <aside class="drawer">
        <button type="button" class="close" onClick={onClose} aria-label="Close">
          ×
        </button>
        <p class={error ? "error" : "muted"}>{error ?? "Loading…"}</p>
      </aside>
    );
  }
  const { task, dependencies } = detail;
  const dependents = cards.filter((c) => c.depends_on.includes(task.id));
  return (
    <aside class="drawer" data-detail={task.id}>
      <button type="button" class="close" onClick={onClose} aria-label="Close">
        ×
      </button>
      <h2>
        <span class="task-id">{task.id}</span>{" "}
        <span class={`badge badge-${task.status}`}>{STATUS_LABEL[task.status]}</span>
      </h2>
      <p class="detail-desc">{task.description}</p>
      {task.criteria && (
        <section>
          <h4>Acceptance criteria</h4>
          <p class="pre">{task.criteria}</p>
        </section>
      )}
      <dl class="facts">
        <dt>priority</dt>
        <dd>P{task.priority}</dd>
        <dt>attempts</dt>
        <dd>
          {task.attempts} of {task.max_attempts}
        </dd>
        {task.claimed_by && (
          <>
            <dt>held by</dt>
            <dd>
              {task.claimed_by} until {time(task.lease_expires_at)}
            </dd>
          </>
        )}
        {task.tags.length > 0 && (
          <>
            <dt>tags</dt>
            <dd>{task.tags.join(", ")}</dd>
          </>
        )}
        <dt>created</dt>
        <dd>{time(task.created_at)}</dd>
        <dt>started</dt>
        <dd>{time(task.started_at)}</dd>
        <dt>completed</dt>
        <dd>{time(task.completed_at)}</dd>
        <dt>updated</dt>
        <dd>{time(task.updated_at)}</dd>
      </dl>
      <section>
        <h4>Waits for</h4>
        {task.depends_on.length === 0 ? (
          <p class="muted">nothing</p>
        ) : (
          <ul class="links">
            {task.depends_on.map((id) => {
              const dep = dependencies.find((d) => d.id === id);
              return (
                <li key={id}>
                  <button type="button" class="link" onClick={() => onOpen(id)}>
                    {id}
                  </button>{" "}
                  <span class={`badge badge-${dep?.status ?? "missing"}`}>
                    {dep ? STATUS_LABEL[dep.status] : "deleted"}
                  </span>{" "}
                  <span class="muted">{dep?.description}</span>
                </li>
              );
            })}
          </ul>
        )}
        <h4>Needed by</h4>
        {dependents.length === 0 ? (
          <p class="muted">no task on the board</p>
        ) : (
          <ul class="links">
            {dependents.map((c) => (
              <li key={c.id}>
                <button type="button" class="link" onClick={() => onOpen(c.id)}>
                  {c.id}
                </button>{" "}
                <span class="muted">{c.description}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      {task.result !== null && (
        <section>
          <h4>Result</h4>
          <p class="pre">{task.result}</p>
        </section>
      )}
      {task.failure_reason !== null && (
        <section>
          <h4>Failure reason</h4>
          <p class="pre card-failure">{task.failure_reason}</p>
        </section>
      )}
      <section>
        <h4>Feedback ({task.feedback.length})</h4>
        {task.feedback.length === 0 ? (
          <p class="muted">none yet</p>
        ) : (
          <ol class="feedback">
            {task.feedback.map((f, i) => (
              <li key={`${f.at}-${i}`}>
                <span class="muted">
                  attempt {f.attempt} · {f.source} · {time(f.at)}
                </span>
                <p class="pre">{f.text}</p>
              </li>
            ))}
          </ol>
        )}
      </section>
      <div class="drawer-actions">
        {task.status !== "pending" && (
          <button type="button" class="primary" data-action="retry" onClick={() => onRetry(task.id)}>
            Retry with feedback
          </button>
        )}
        {(task.status === "pending" || task.status === "in_progress") && (
          <button type="button" data-action="fail" onClick={() => onFail(task.id)}>
            Fail
          </button>
        )}
        <button type="button" class="danger" data-action="delete" onClick={() => onDelete(task.id)}>
          Delete
        </button>
      </div>
    </aside>
  );
}
