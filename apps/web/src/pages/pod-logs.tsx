import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { errorMessage, type PodDTO } from "../api";
import { stateKind } from "../containers";
import { useLive } from "../live";

/** The most lines the tail keeps (older ones drop off the top). */
export const MAX_LOG_LINES = 1000;
// A chatty container can print thousands of lines a second: lines are buffered and drawn at most this often.
const FLUSH_MS = 100;

/** A live tail of one container's log (pods.logsFollow), or its previous run's log (pods.logs previous: true). */
export function PodLogs({ pod }: { pod: PodDTO }) {
  const names = pod.spec?.containers.map((c) => c.name) ?? [];
  const [picked, setPicked] = useState("");
  const container = names.includes(picked) ? picked : (names[0] ?? "");
  const [previous, setPrevious] = useState(false);
  const [follow, setFollow] = useState(true);
  const status = pod.containerStatuses.find((c) => c.name === container);
  // A new run (restart) or a change of state ends the node's follow: start again from the new run's tail.
  const runKey = status ? `${status.restartCount}:${stateKind(status.state)}` : "none";
  const { lines, note, reload } = useLogLines(pod.name, container, previous, runKey);
  const box = useRef<HTMLPreElement>(null);
  useLayoutEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow]);
  if (names.length === 0) return null;
  return (
    <div className="card" data-testid="pod-logs">
      <div className="logs-head">
        <h2>Logs</h2>
        <select value={container} onChange={(e) => setPicked(e.target.value)} data-testid="log-container">
          {names.map((n) => (
            <option key={n}>{n}</option>
          ))}
        </select>
        <label className="check">
          <input type="checkbox" checked={previous} onChange={(e) => setPrevious(e.target.checked)} data-testid="log-previous" /> previous run
        </label>
        <label className="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> auto-scroll
        </label>
        {previous && (
          <button className="secondary small-btn" onClick={reload}>
            Reload
          </button>
        )}
        <span className="muted small" data-testid="log-note">
          {note}
        </span>
      </div>
      <pre className="logs" ref={box} data-testid="log-lines">
        {lines.join("\n")}
      </pre>
    </div>
  );
}

/** The log lines of one container, following them live unless `previous`; `note` says what is shown (or what failed). */
function useLogLines(name: string, container: string, previous: boolean, runKey: string): { lines: string[]; note: string; reload(): void } {
  const { client } = useLive();
  const [lines, setLines] = useState<string[]>([]);
  const [note, setNote] = useState("");
  const [reloads, setReloads] = useState(0);
  useEffect(() => {
    setLines([]);
    if (!container) return;
    if (previous) {
      let cancelled = false;
      setNote("loading the previous run…");
      client.pods.logs
        .query({ name, container, previous: true, tail: MAX_LOG_LINES })
        .then((r) => {
          if (cancelled) return;
          setLines(r.lines.slice(-MAX_LOG_LINES));
          setNote(`previous run: ${r.lines.length} lines`);
        })
        .catch((err) => !cancelled && setNote(errorMessage(err)));
      return () => {
        cancelled = true;
      };
    }
    let buffer: string[] = [];
    const flush = setInterval(() => {
      if (buffer.length === 0) return;
      const add = buffer;
      buffer = [];
      setLines((old) => [...old, ...add].slice(-MAX_LOG_LINES));
    }, FLUSH_MS);
    setNote("connecting…");
    const sub = client.pods.logsFollow.subscribe(
      { name, container, tail: MAX_LOG_LINES },
      {
        // The server sends the tail again on every (re)connection: start over so no line shows twice.
        onStarted: () => {
          buffer = [];
          setLines([]);
          setNote("following");
        },
        onData: (d) => buffer.push(d.line),
        onError: (err) => setNote(errorMessage(err)),
        onComplete: () => setNote("the container's run ended"),
      },
    );
    return () => {
      sub.unsubscribe();
      clearInterval(flush);
    };
  }, [client, name, container, previous, runKey, reloads]);
  return { lines, note, reload: () => setReloads((n) => n + 1) };
}
