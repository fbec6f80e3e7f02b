import { useMemo, useState } from "react";
import { ago, cores, parseLabels, POD_STATUSES, POLICIES, type Policy } from "../api";
import { useLive, useNodes, useNow, usePods } from "../live";
import { Empty, StatusBadge, useAction } from "../ui";

export function PodsPage() {
  const pods = usePods();
  const nodes = useNodes();
  const now = useNow(1000);
  const { client } = useLive();
  const [status, setStatus] = useState("");
  const [node, setNode] = useState("");
  const [text, setText] = useState("");
  const [launching, setLaunching] = useState(false);
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
      <div className="page-head">
        <h1>Pods</h1>
        <button onClick={() => setLaunching(!launching)} data-testid="toggle-launch">
          {launching ? "Close" : "+ Launch pod"}
        </button>
      </div>
      {launching && <LaunchForm onDone={() => setLaunching(false)} />}
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
                <th>Status</th>
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
                  <td>
                    <StatusBadge status={p.status} />
                  </td>
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

function LaunchForm({ onDone }: { onDone(): void }) {
  const { client } = useLive();
  const [name, setName] = useState("");
  const [cpu, setCpu] = useState("0.5");
  const [memory, setMemory] = useState("256");
  const [algorithm, setAlgorithm] = useState("");
  const [labels, setLabels] = useState("");
  const [selector, setSelector] = useState("");
  const [result, setResult] = useState("");
  const action = useAction();
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setResult("");
    void action.run(async () => {
      const r = await client.pods.launch.mutate({
        cpu: Number(cpu),
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(memory.trim() ? { memoryMiB: Number(memory) } : {}),
        ...(algorithm ? { algorithm: algorithm as Policy } : {}),
        ...(labels.trim() ? { labels: parseLabels(labels) } : {}),
        ...(selector.trim() ? { nodeSelector: parseLabels(selector) } : {}),
      });
      setResult(r.scheduled ? `${r.pod.name} placed on ${r.pod.nodeName}: ${r.message}` : `${r.pod.name} is Pending: ${r.message}`);
      setName("");
      if (r.scheduled) onDone();
    });
  };
  return (
    <form className="card form" onSubmit={submit} data-testid="launch-form">
      <h2>Launch a pod</h2>
      <div className="fields">
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} placeholder="generated" data-testid="pod-name" />
        </label>
        <label>
          CPU (cores) <input value={cpu} onChange={(e) => setCpu(e.target.value)} inputMode="decimal" data-testid="pod-cpu" />
        </label>
        <label>
          Memory (MiB) <input value={memory} onChange={(e) => setMemory(e.target.value)} data-testid="pod-memory" />
        </label>
        <label>
          Algorithm
          <select value={algorithm} onChange={(e) => setAlgorithm(e.target.value)} data-testid="pod-algorithm">
            <option value="">cluster default</option>
            {POLICIES.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <label>
          Labels <input value={labels} onChange={(e) => setLabels(e.target.value)} placeholder="app=web" />
        </label>
        <label>
          Node selector <input value={selector} onChange={(e) => setSelector(e.target.value)} placeholder="zone=a" />
        </label>
      </div>
      <div className="actions">
        <button disabled={action.busy} data-testid="launch-submit">
          {action.busy ? "Launching…" : "Launch"}
        </button>
        {action.error && <span className="error">{action.error}</span>}
        {result && <span className="muted">{result}</span>}
      </div>
    </form>
  );
}
