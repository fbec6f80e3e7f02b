import { useQuery } from "@tanstack/react-query";
import type { AlertDTO } from "./api";
import { useLive } from "./live";

// Alerts live in the API's memory and change state between events (pending has none), so they are polled;
// firing and resolved also come as events, which refetch at once (live.tsx).

/** Pending and firing alerts, then those resolved in the last 15 minutes. */
export function useAlerts() {
  const { client } = useLive();
  return useQuery({ queryKey: ["alerts"], queryFn: () => client.alerts.list.query(), refetchInterval: 2000 });
}

export function useAlertRules() {
  const { client } = useLive();
  return useQuery({ queryKey: ["alert-rules"], queryFn: () => client.alerts.rules.query() });
}

/** One alert per rule and label set, as Prometheus tells them apart. */
export function alertKey(a: AlertDTO): string {
  return `${a.state}:${a.activeAt}:${JSON.stringify(a.labels)}`;
}

/** What an alert is about, from its labels: pod (and container), else node. */
export function AlertObject({ a }: { a: AlertDTO }) {
  const { pod, namespace, container, node } = a.labels;
  const nodeLink = node && <a href={`#/nodes/${encodeURIComponent(node)}`}>node/{node}</a>;
  if (!pod) return nodeLink || <span className="muted">cluster</span>;
  return (
    <span>
      <a href={`#/pods/${encodeURIComponent(pod)}`}>
        pod/{namespace ? `${namespace}/` : ""}
        {pod}
      </a>
      {container && <span className="muted"> · container {container}</span>}
      {node && <span className="muted"> on </span>}
      {nodeLink}
    </span>
  );
}

/** Shown on every page while any alert fires: how many, the first summaries, and the way to the Alerts page. */
export function AlertBanner() {
  const firing = (useAlerts().data ?? []).filter((a) => a.state === "firing");
  if (firing.length === 0) return null;
  const shown = firing.slice(0, 3);
  return (
    <div className="alert-banner" role="alert" data-testid="alert-banner" data-count={firing.length}>
      <b>
        {firing.length} alert{firing.length === 1 ? "" : "s"} firing
      </b>
      <ul>
        {shown.map((a) => (
          <li key={alertKey(a)}>
            <span className={`sev ${a.severity ?? ""}`}>{a.severity ?? "alert"}</span> {a.annotations.summary ?? a.name}
          </li>
        ))}
        {firing.length > shown.length && <li className="muted">and {firing.length - shown.length} more</li>}
      </ul>
      <a href="#/alerts" data-testid="alert-banner-link">
        View alerts →
      </a>
    </div>
  );
}
