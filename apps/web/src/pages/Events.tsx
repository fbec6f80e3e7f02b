import { useMemo, useState } from "react";
import type { EventDTO } from "../api";
import { useEvents } from "../live";

export function EventRow({ e }: { e: EventDTO }) {
  const href = e.objectKind === "Pod" ? `#/pods/${encodeURIComponent(e.objectName)}` : e.objectKind === "Node" ? `#/nodes/${encodeURIComponent(e.objectName)}` : undefined;
  return (
    <div className={`event ${e.type === "Warning" ? "warn" : ""}`} data-testid="event-row">
      <span className="time">{new Date(e.time).toLocaleTimeString()}</span>
      <span className={`etype ${e.type}`}>{e.type}</span>
      <span className="reason">{e.reason}</span>
      <span className="object">
        {href ? <a href={href}>{`${e.objectKind.toLowerCase()}/${e.objectName}`}</a> : `${e.objectKind.toLowerCase()}/${e.objectName}`}
      </span>
      <span className="msg">{e.message}</span>
    </div>
  );
}

export function EventsPage() {
  const events = useEvents();
  const [type, setType] = useState("");
  const [kind, setKind] = useState("");
  const [text, setText] = useState("");
  const [paused, setPaused] = useState<EventDTO[] | null>(null);
  const source = paused ?? events;
  const shown = useMemo(() => {
    const q = text.trim().toLowerCase();
    return source
      .filter(
        (e) =>
          (!type || e.type === type) &&
          (!kind || e.objectKind === kind) &&
          (!q || `${e.reason} ${e.objectName} ${e.message}`.toLowerCase().includes(q)),
      )
      .slice()
      .reverse();
  }, [source, type, kind, text]);
  return (
    <div className="page">
      <h1>Events</h1>
      <div className="toolbar">
        <select value={type} onChange={(e) => setType(e.target.value)} data-testid="event-type">
          <option value="">all types</option>
          <option>Normal</option>
          <option>Warning</option>
        </select>
        <select value={kind} onChange={(e) => setKind(e.target.value)}>
          <option value="">all objects</option>
          <option>Node</option>
          <option>Pod</option>
          <option>Cluster</option>
        </select>
        <input placeholder="search reason, object, message" value={text} onChange={(e) => setText(e.target.value)} data-testid="event-search" />
        <button className="secondary" onClick={() => setPaused(paused ? null : events)}>
          {paused ? "Resume" : "Pause"}
        </button>
        <span className="muted">
          {shown.length} of {source.length} {paused ? "(paused)" : "(live, newest first)"}
        </span>
      </div>
      <div className="card events">
        {shown.length === 0 ? <div className="muted">No events.</div> : shown.map((e) => <EventRow key={e.id} e={e} />)}
      </div>
    </div>
  );
}
