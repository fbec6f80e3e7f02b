import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { cores, errorMessage, mib, type PodDTO } from "../api";
import { podStatusText, readyText, restartsOf } from "../containers";
import { useLive, usePods } from "../live";
import { StatusBadge, useAction } from "../ui";
import { UsageCard } from "../usage-charts";
import { EventRow } from "./Events";
import { PodContainers } from "./pod-containers";
import { PodLogs } from "./pod-logs";

/** One pod: its use over time, its containers and their logs, where it runs and why (every node with the reasons it fits or does not). */
export function PodPage({ name }: { name: string }) {
  const { client } = useLive();
  const pods = usePods();
  const live = pods.find((p) => p.name === name);
  const q = useQuery({ queryKey: ["pod", name], queryFn: () => client.pods.get.query({ name }), retry: false });
  const { refetch } = q;
  // Re-explain whenever the pod changes (placed, moved, evicted).
  useEffect(() => {
    void refetch();
  }, [live?.status, live?.nodeId, refetch]);
  const del = useAction();
  if (q.isError && !live) {
    return (
      <div className="page">
        <a href="#/pods">← Pods</a>
        <h1>{name}</h1>
        <div className="error">{errorMessage(q.error)}</div>
      </div>
    );
  }
  const d = q.data;
  const pod = live ?? d?.pod;
  return (
    <div className="page">
      <a href="#/pods">← Pods</a>
      <div className="page-head">
        <h1>
          {name} {pod && <StatusBadge status={podStatusText(pod)} />}
        </h1>
        <button
          className="secondary"
          disabled={del.busy}
          onClick={() =>
            void del.run(async () => {
              await client.pods.delete.mutate({ name });
              window.location.hash = "#/pods";
            })
          }
        >
          Delete pod
        </button>
      </div>
      {del.error && <div className="error">{del.error}</div>}
      {pod && (
        <div className="card kv wide-kv" data-testid="pod-summary">
          <span>Node</span>
          <span data-testid="pod-node">{pod.nodeName ?? "— (not placed)"}</span>
          <span>Phase</span>
          <span data-testid="pod-phase">{pod.phase ?? `— (Kube-9 status ${pod.status}; its node has not reported)`}</span>
          <span>Pod IP</span>
          <span data-testid="pod-ip" className="mono">
            {pod.podIP ?? "none"}
          </span>
          <span>Ready</span>
          <span>
            {readyText(pod)} containers, {restartsOf(pod)} restarts
          </span>
          <span>Namespace</span>
          <span>{pod.namespace}</span>
          <span>Request</span>
          <span>
            {cores(pod.request.cpuMilli)} CPU, {mib(pod.request.memoryMiB)}
          </span>
          <span>Algorithm</span>
          <span>{d ? `${d.policy}${pod.algorithm ? "" : " (cluster default)"}` : (pod.algorithm ?? "cluster default")}</span>
          <span>Labels</span>
          <span className="mono small">{Object.entries(pod.labels).map(([k, v]) => `${k}=${v}`).join(", ") || "—"}</span>
          <span>Node selector</span>
          <span className="mono small">{Object.entries(pod.nodeSelector).map(([k, v]) => `${k}=${v}`).join(", ") || "—"}</span>
          {pod.spec && (
            <>
              <span>Restart policy</span>
              <span>{pod.spec.restartPolicy}</span>
            </>
          )}
          <span>Rescheduled</span>
          <span>{pod.restarts === 1 ? "once (its node left or failed)" : pod.restarts ? `${pod.restarts} times (its nodes left or failed)` : "never"}</span>
          <span>Conditions</span>
          <Conditions pod={pod} />
          {pod.message && (
            <>
              <span>Message</span>
              <span>{pod.message}</span>
            </>
          )}
          <span>ID</span>
          <span className="mono small">{pod.id}</span>
        </div>
      )}
      {pod && <UsageCard target={{ kind: "pod", name }} title="Usage" testid="pod-usage" />}
      {pod && <PodContainers pod={pod} />}
      {pod && <PodLogs pod={pod} />}
      <div className="card">
        <h2>Placement: why this node</h2>
        {!d ? (
          <div className="muted">Loading…</div>
        ) : d.fits.length === 0 ? (
          <div className="muted">There are no nodes.</div>
        ) : (
          <table className="table" data-testid="fits">
            <thead>
              <tr>
                <th>Node</th>
                <th>Fits</th>
                <th>Free after placing (CPU, memory)</th>
                <th>Reasons</th>
              </tr>
            </thead>
            <tbody>
              {d.fits.map((f) => (
                <tr key={f.nodeId} className={f.chosen ? "chosen" : ""} data-testid={`fit-${f.nodeName}`}>
                  <td>
                    {f.nodeName} {f.chosen && <span className="badge s-Running">chosen</span>}
                  </td>
                  <td>{f.feasible ? <span className="ok">✓ fits</span> : <span className="bad">✗ no</span>}</td>
                  <td>{f.freeCpuAfter === null ? "—" : `${cores(f.freeCpuAfter)} CPU, ${mib(f.freeMemoryAfter ?? 0)}`}</td>
                  <td className="small">{f.reasons.join("; ") || (f.feasible ? "feasible" : "")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {d && d.events.length > 0 && (
        <div className="card">
          <h2>Events</h2>
          <div className="events compact">
            {d.events.map((e) => (
              <EventRow key={e.id} e={e} />
            ))}
          </div>
        </div>
      )}
    </div>
  );
}

function Conditions({ pod }: { pod: PodDTO }) {
  if (pod.conditions.length === 0) return <span className="muted">— (its node has not reported)</span>;
  return (
    <span className="conditions" data-testid="pod-conditions">
      {pod.conditions.map((c) => (
        <span key={c.type} className={c.status === "True" ? "ok" : "bad"} title={[c.reason, c.message].filter(Boolean).join(": ")}>
          {c.type}={c.status}
          {c.reason ? ` (${c.reason})` : ""}
        </span>
      ))}
    </span>
  );
}
