/**
 * The board: counts, runs, pictures, and the tasks by status, kept live by the source (pushed
 * from the server's change feed on the web, asked of the host in an MCP App).
 */
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import type { Board as BoardData, Column, TaskCard, TaskDetailView } from "../../src/dashboard/types.js";
import { Card } from "./card.js";
import { Charts } from "./charts.js";
import { type Ask, Dialog } from "./dialog.js";
import { percent, STATUS_LABEL } from "./format.js";
import { Runs } from "./runs.js";
import type { BoardSource, LinkState, TaskStatus } from "./source.js";
import { TaskPanel } from "./task-panel.js";

/** Cards loaded with "show more", per status, kept across live updates until the column changes. */
type Extra = Partial<Record<TaskStatus, { cards: TaskCard[]; nextCursor: string | null }>>;

function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

export function BoardView({ source }: { source: BoardSource }) {
  const [board, setBoard] = useState<BoardData | null>(null);
  const [link, setLink] = useState<LinkState>("connecting");
  const [extra, setExtra] = useState<Extra>({});
  const [open, setOpen] = useState<string | null>(null);
  const [detail, setDetail] = useState<TaskDetailView | null>(null);
  const [detailError, setDetailError] = useState<string | null>(null);
  const [ask, setAsk] = useState<Ask | null>(null);
  const [toast, setToast] = useState<{ text: string; bad: boolean } | null>(null);
  const [adding, setAdding] = useState(false);
  const now = useNow(1000);

  useEffect(
    () =>
      source.watch((b) => {
        setBoard(b);
        setExtra({});
      }, setLink),
    [source],
  );

  // The open task follows the board: re-read it whenever a new picture arrives.
  useEffect(() => {
    if (!open) return;
    let live = true;
    source.task(open).then(
      (d) => {
        if (!live) return;
        setDetail(d);
        setDetailError(null);
      },
      (e: Error) => {
        if (!live) return;
        setDetail(null);
        setDetailError(e.message);
      },
    );
    return () => {
      live = false;
    };
  }, [open, board, source]);

  const say = useCallback((text: string, bad = false) => {
    setToast({ text, bad });
    setTimeout(() => setToast((t) => (t?.text === text ? null : t)), 4000);
  }, []);

  const act = useCallback(
    async (action: Parameters<BoardSource["act"]>[0]) => {
      const result = await source.act(action);
      say(result.message);
    },
    [source, say],
  );

  const allCards = useMemo(
    () => (board ? board.columns.flatMap((c) => [...c.cards, ...(extra[c.status]?.cards ?? [])]) : []),
    [board, extra],
  );

  const retry = (id: string) =>
    setAsk({
      title: `Retry ${id}`,
      field: { label: "Feedback for the next attempt", placeholder: "What should be done differently?" },
      confirm: "Retry",
      run: (feedback) => act({ kind: "retry", id, feedback }),
    });
  const fail = (id: string) =>
    setAsk({
      title: `Fail ${id}`,
      field: { label: "Reason", initial: "Failed from the dashboard" },
      confirm: "Fail task",
      danger: true,
      run: (reason) => act({ kind: "fail", id, reason }),
    });
  const remove = (id: string) => {
    const working =
      (detail?.task.id === id ? detail.task.status : allCards.find((c) => c.id === id)?.status) ===
      "in_progress";
    setAsk({
      title: working
        ? `${id} is in progress: delete it anyway? Its worker's result will be dropped. This cannot be undone.`
        : `Delete ${id}? This cannot be undone.`,
      confirm: "Delete",
      danger: true,
      run: async () => {
        await act({ kind: "delete", id, force: working });
        if (open === id) setOpen(null);
      },
    });
  };
  const cancelRun = (id: string) =>
    setAsk({
      title: `Cancel ${id}? Its current task goes back in line.`,
      confirm: "Cancel run",
      danger: true,
      run: () => act({ kind: "cancel_run", id }),
    });

  const more = async (column: Column) => {
    const shown = extra[column.status];
    const cursor = shown ? shown.nextCursor : column.nextCursor;
    if (!cursor) return;
    try {
      const page = await source.more(column.status, cursor);
      setExtra((x) => ({
        ...x,
        [column.status]: {
          cards: [...(x[column.status]?.cards ?? []), ...page.cards],
          nextCursor: page.nextCursor,
        },
      }));
    } catch (e) {
      say((e as Error).message, true);
    }
  };

  if (!board) {
    return (
      <main class="shell">
        <p class="boot">
          {link === "retrying" ? "Cannot reach the server; retrying…" : "Loading the board…"}
        </p>
      </main>
    );
  }
  const { stats } = board;
  return (
    <main class={`shell mode-${source.kind}`}>
      <header class="top">
        <h1>
          <span class="logo">◆</span> Ralph board
        </h1>
        <span class={`link link-${link}`} data-link={link}>
          <span class="dot" />
          {link === "live" ? "live" : link === "connecting" ? "connecting" : "reconnecting"}
        </span>
        <span class="spacer" />
        <button type="button" class="primary" data-action="add" onClick={() => setAdding(true)}>
          + Add task
        </button>
      </header>
      <section class="stats" aria-label="Counts">
        <Stat label="tasks" value={stats.total} />
        <Stat label="ready" value={stats.pending - stats.blocked} kind="pending" />
        <Stat label="blocked" value={stats.blocked} kind="blocked" />
        <Stat label="in progress" value={stats.in_progress} kind="in_progress" />
        <Stat label="completed" value={stats.completed} kind="completed" />
        <Stat label="failed" value={stats.failed} kind="failed" />
        <Stat label="done" value={percent(stats.completion_rate)} />
        <Stat label="avg attempts" value={stats.average_attempts} />
      </section>
      <div
        class={`upper${board.runs.every((r) => r.status === "running") && (board.history?.length ?? 0) < 2 ? " single" : ""}`}
      >
        <Runs
          runs={board.runs}
          held={allCards.filter((c) => c.status === "in_progress")}
          now={now}
          onCancel={cancelRun}
        />
        <Charts runs={board.runs} history={board.history} />
      </div>
      <section class="columns">
        {board.columns.map((column) => {
          const cards = [...column.cards, ...(extra[column.status]?.cards ?? [])];
          const cursor = extra[column.status] ? extra[column.status]?.nextCursor : column.nextCursor;
          return (
            <section class={`column column-${column.status}`} data-column={column.status} key={column.status}>
              <h2>
                {STATUS_LABEL[column.status]} <span class="count">{column.total.toLocaleString()}</span>
                {column.status === "pending" && stats.blocked > 0 && (
                  <span class="badge badge-blocked">{stats.blocked} blocked</span>
                )}
              </h2>
              {cards.length === 0 ? (
                <p class="empty">nothing here</p>
              ) : (
                <ul class="cards">
                  {cards.map((card) => (
                    <Card card={card} key={card.id} onOpen={setOpen} onRetry={retry} onFail={fail} />
                  ))}
                </ul>
              )}
              {cursor && (
                <button type="button" class="more" onClick={() => void more(column)}>
                  Show more ({(column.total - cards.length).toLocaleString()} not shown)
                </button>
              )}
            </section>
          );
        })}
      </section>
      {open && (
        <TaskPanel
          detail={detail?.task.id === open ? detail : null}
          error={detailError}
          cards={allCards}
          onClose={() => setOpen(null)}
          onOpen={setOpen}
          onRetry={retry}
          onFail={fail}
          onDelete={remove}
        />
      )}
      {adding && (
        <Dialog
          ask={{
            title: "Add a task",
            field: { label: "Description", placeholder: "What should be done?" },
            confirm: "Add task",
            run: (description) => act({ kind: "add", description }),
          }}
          onClose={() => setAdding(false)}
        />
      )}
      {ask && <Dialog ask={ask} onClose={() => setAsk(null)} />}
      {toast && (
        <p class={`toast${toast.bad ? " bad" : ""}`} role="status">
          {toast.text}
        </p>
      )}
    </main>
  );
}

function Stat({ label, value, kind }: { label: string; value: number | string; kind?: string }) {
  return (
    <div class={`stat${kind ? ` stat-${kind}` : ""}`} data-stat={label}>
      <span class="stat-value">{typeof value === "number" ? value.toLocaleString() : value}</span>
      <span class="stat-label">{label}</span>
    </div>
  );
}
