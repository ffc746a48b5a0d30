/** A small modal that asks before an action: optional text (feedback, reason), then confirm or cancel. */
import { useEffect, useState } from "preact/hooks";

export interface Ask {
  title: string;
  /** Present: a text field with this label. */
  field?: { label: string; placeholder?: string; initial?: string };
  confirm: string;
  danger?: boolean;
  run: (text: string) => Promise<void>;
}

export function Dialog({ ask, onClose }: { ask: Ask; onClose: () => void }) {
  const [text, setText] = useState(ask.field?.initial ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  // A button, not a form submission: hosts render MCP Apps in frames sandboxed without allow-forms.
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await ask.run(text);
      onClose();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  return (
    <div class="overlay">
      <div class="dialog" role="dialog" aria-label={ask.title}>
        <h3>{ask.title}</h3>
        {ask.field && (
          <label>
            {ask.field.label}
            <textarea
              name="text"
              rows={3}
              value={text}
              placeholder={ask.field.placeholder}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            />
          </label>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-buttons">
          <button type="button" onClick={onClose}>
            Keep it
          </button>
          <button
            type="button"
            class={ask.danger ? "danger" : "primary"}
            disabled={busy}
            data-action="confirm"
            onClick={() => void submit()}
          >
            {ask.confirm}
          </button>
        </div>
      </div>
    </div>
  );
}
