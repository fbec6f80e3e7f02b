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

/** A form a page head can open; `form` gets the function that closes it. */
export interface HeadForm {
  openLabel: string;
  testid: string;
  form(close: () => void): ReactNode;
}

/** A page title with a button that opens and closes the page's create form, and buttons for any `more` forms (one open at a time). */
export function PageHeadWithForm(props: HeadForm & { title: string; more?: HeadForm[] }) {
  const forms = [props, ...(props.more ?? [])];
  const [open, setOpen] = useState<string | null>(null);
  const shown = forms.find((f) => f.testid === open);
  return (
    <>
      <div className="page-head">
        <h1>{props.title}</h1>
        <div className="head-buttons">
          {forms.map((f) => (
            <button key={f.testid} className={f === props ? "" : "secondary"} onClick={() => setOpen(open === f.testid ? null : f.testid)} data-testid={f.testid}>
              {open === f.testid ? "Close" : f.openLabel}
            </button>
          ))}
        </div>
      </div>
      {shown?.form(() => setOpen(null))}
    </>
  );
}

/** A row of toggle buttons choosing one value (a time range, what a heatmap is coloured by). */
export function SegButtons<T extends string>(props: { options: ReadonlyArray<readonly [T, string]>; value: T; onChange(v: T): void; label: string; testid: string }) {
  return (
    <div className="seg-buttons" role="group" aria-label={props.label} data-testid={props.testid}>
      {props.options.map(([v, text]) => (
        <button key={v} type="button" aria-pressed={v === props.value} className={v === props.value ? "on" : ""} onClick={() => props.onChange(v)} data-testid={`${props.testid}-${v}`}>
          {text}
        </button>
      ))}
    </div>
  );
}

/** A table's header row; an empty string is a column without a title (row buttons). */
export function TableHead({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) => (
          <th key={i}>{c}</th>
        ))}
      </tr>
    </thead>
  );
}

/** A card's title with a small link to the page that shows all of it ("all events →"). */
export function LinkedTitle({ title, href, link }: { title: string; href: string; link: string }) {
  return (
    <h2>
      {title}{" "}
      <a className="small" href={href}>
        {link}
      </a>
    </h2>
  );
}

/** Short monospace chips in a row (labels, pod names); `none` when there are none. */
export function Chips({ items, testid }: { items: string[]; testid?: string }) {
  if (items.length === 0) return <span className="muted">none</span>;
  return (
    <span className="chips" data-testid={testid}>
      {items.map((t) => (
        <span key={t} className="pod-chip">
          {t}
        </span>
      ))}
    </span>
  );
}

/** A titled card holding one table; `empty`, when given, stands in for the table, and `error` shows under it. */
export function TableCard(props: { title: string; columns: string[]; testid: string; className?: string; empty?: ReactNode; error?: string; children: ReactNode }) {
  return (
    <div className="card table-card">
      <h2 className="table-title">{props.title}</h2>
      {props.empty ? (
        <div className="table-title">{props.empty}</div>
      ) : (
        <table className={`table ${props.className ?? ""}`} data-testid={props.testid}>
          <TableHead columns={props.columns} />
          <tbody>{props.children}</tbody>
        </table>
      )}
      {props.error && <div className="error table-title">{props.error}</div>}
    </div>
  );
}
