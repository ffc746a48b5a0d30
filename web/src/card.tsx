/** One task on the board: what it is, where it stands, and the actions that fit its status. */
import type { TaskCard } from "../../src/dashboard/types.js";
import { until } from "./format.js";

export interface CardProps {
  card: TaskCard;
  onOpen: (id: string) => void;
  onRetry: (id: string) => void;
  onFail: (id: string) => void;
}

export function Card({ card, onOpen, onRetry, onFail }: CardProps) {
  const blocked = card.blocked_by.length > 0;
  const canRetry = card.status !== "pending";
  const canFail = card.status === "pending" || card.status === "in_progress";
  return (
    <li class={`card status-${card.status}${blocked ? " blocked" : ""}`} data-task={card.id}>
      <button type="button" class="card-main" onClick={() => onOpen(card.id)} title="Open the task">
        <span class="card-head">
          <span class="task-id">{card.id}</span>
          <span class={`prio p${Math.min(card.priority, 6)}`}>P{card.priority}</span>
          {blocked && <span class="badge badge-blocked">blocked</span>}
          <span class="attempts" title="attempts / max attempts">
            {card.attempts}/{card.max_attempts}
          </span>
        </span>
        <span class="card-desc">{card.description}</span>
        {blocked && <span class="card-note">waits for {card.blocked_by.join(", ")}</span>}
        {card.status === "pending" && card.not_before && Date.parse(card.not_before) > Date.now() && (
          <span class="card-note">
            back-off: eligible again {until(card.not_before).replace(" left", "")} from now
          </span>
        )}
        {card.status === "in_progress" && card.claimed_by && (
          <span class="card-note">
            {card.claimed_by} · lease {until(card.lease_expires_at)}
          </span>
        )}
        {card.status === "failed" && card.failure_reason && (
          <span class="card-note card-failure">{card.failure_reason}</span>
        )}
        {card.tags.length > 0 && (
          <span class="tags">
            {card.tags.map((t) => (
              <span class="tag" key={t}>
                {t}
              </span>
            ))}
          </span>
        )}
      </button>
      {(canRetry || canFail) && (
        <span class="card-actions">
          {canRetry && (
            <button type="button" class="small" data-action="retry" onClick={() => onRetry(card.id)}>
              Retry
            </button>
          )}
          {canFail && (
            <button
              type="button"
              class="small danger-quiet"
              data-action="fail"
              onClick={() => onFail(card.id)}
            >
              Fail
            </button>
          )}
        </span>
      )}
    </li>
  );
}
