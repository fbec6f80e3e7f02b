import { useState, type ReactNode } from "react";
import { errorMessage } from "./api";

export function Bar({ value, max, label, testid }: { value: number; max: number; label?: ReactNode; testid?: string }) {
  const pct = max > 0 ? Math.min(100, (value / max) * 100) : 0;
  const level = pct >= 90 ? "high" : pct >= 70 ? "mid" : "low";
  return (
    <div className="bar-wrap" data-testid={testid}>
      <div className="bar">
        <div className={`fill ${level}`} style={{ width: `${pct}%` }} />
      </div>
      {label !== undefined && <div className="bar-label">{label}</div>}
    </div>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge s-${status}`}>{status}</span>;
}

/** Runs an async action, showing its error next to the button that started it. */
export function useAction(): { run(fn: () => Promise<unknown>): Promise<void>; busy: boolean; error: string; clear(): void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  return {
    busy,
    error,
    clear: () => setError(""),
    async run(fn) {
      setBusy(true);
      setError("");
      try {
        await fn();
      } catch (err) {
        setError(errorMessage(err));
      } finally {
        setBusy(false);
      }
    },
  };
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/** A page title with a button that opens and closes the page's create form; `form` gets the function that closes it. */
export function PageHeadWithForm(props: { title: string; openLabel: string; testid: string; form(close: () => void): ReactNode }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <div className="page-head">
        <h1>{props.title}</h1>
        <button onClick={() => setOpen(!open)} data-testid={props.testid}>
          {open ? "Close" : props.openLabel}
        </button>
      </div>
      {open && props.form(() => setOpen(false))}
    </>
  );
}
