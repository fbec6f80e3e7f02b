import { useMemo, useState } from "react";
import { ago, cores, POD_STATUSES } from "../api";
import { podStatusText, readyText, restartsOf } from "../containers";
import { useLive, useNodes, useNow, usePods } from "../live";
import { Empty, PageHeadWithForm, StatusBadge, useAction } from "../ui";
import { ApplyManifestForm } from "./apply-manifest";
import { LaunchForm } from "./launch-form";

/** All pods, with kubectl's columns (READY, STATUS, RESTARTS, IP, NODE), the launch form and the manifest form. */
export function PodsPage() {
  const pods = usePods();
  const nodes = useNodes();
  const now = useNow(1000);
  const { client } = useLive();
  const [status, setStatus] = useState("");
  const [node, setNode] = useState("");
  const [text, setText] = useState("");
  const del = useAction();
  const shown = useMemo(() => {
    const q = text.trim().toLowerCase();
    return pods.filter(
      (p) =>
        (!status || p.status === status) &&
        (!node || (node === "-" ? !p.nodeName : p.nodeName === node)) &&
        (!q || `${p.name} ${Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(" ")}`.toLowerCase().includes(q)),
    );
  }, [pods, status, node, text]);
  return (
    <div className="page">
      <PageHeadWithForm
        title="Pods"
        openLabel="+ Launch pod"
        testid="toggle-launch"
        form={(close) => <LaunchForm onDone={close} />}
        more={[{ openLabel: "Apply manifest", testid: "toggle-apply", form: () => <ApplyManifestForm /> }]}
      />
      <div className="toolbar">
        <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="pod-status-filter">
          <option value="">all statuses</option>
          {POD_STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <select value={node} onChange={(e) => setNode(e.target.value)} data-testid="pod-node-filter">
          <option value="">all nodes</option>
          <option value="-">not placed</option>
          {nodes.map((n) => (
            <option key={n.id}>{n.name}</option>
          ))}
        </select>
        <input placeholder="search name or label" value={text} onChange={(e) => setText(e.target.value)} />
        <span className="muted">
          {shown.length} of {pods.length}
        </span>
        {del.error && <span className="error">{del.error}</span>}
      </div>
      {pods.length === 0 ? (
        <Empty>No pods yet. Launch one.</Empty>
      ) : (
        <div className="card table-card">
          <table className="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Ready</th>
                <th>Status</th>
                <th>Restarts</th>
                <th>IP</th>
                <th>Node</th>
                <th>CPU</th>
                <th>Memory</th>
                <th>Algorithm</th>
                <th>Age</th>
                <th>Reason</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {shown.map((p) => (
                <tr key={p.id} data-testid={`pod-${p.name}`} data-status={p.status} data-node={p.nodeName ?? ""}>
                  <td>
                    <a href={`#/pods/${encodeURIComponent(p.name)}`}>{p.name}</a>
                  </td>
                  <td className="pod-ready">{readyText(p)}</td>
                  <td title={`Kube-9 status: ${p.status}`}>
                    <StatusBadge status={podStatusText(p)} />
                  </td>
                  <td className="pod-restarts">{restartsOf(p)}</td>
                  <td className="mono small">{p.podIP ?? <span className="muted">—</span>}</td>
                  <td className="pod-node">{p.nodeName ?? <span className="muted">—</span>}</td>
                  <td>{cores(p.request.cpuMilli)}</td>
                  <td>{p.request.memoryMiB} MiB</td>
                  <td>{p.algorithm ?? <span className="muted">default</span>}</td>
                  <td>{ago(p.createdAt, now).replace(" ago", "")}</td>
                  <td className="small muted ellipsis" title={p.message ?? ""}>
                    {p.status === "Pending" ? p.message : (p.reason ?? "")}
                  </td>
                  <td>
                    <button
                      className="secondary small-btn"
                      disabled={del.busy}
                      onClick={() => void del.run(() => client.pods.delete.mutate({ name: p.name }))}
                      data-testid="delete-pod"
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
