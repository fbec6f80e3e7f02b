import { useMemo, useState } from "react";
import { ago, cores, parseLabels, POD_STATUSES, POLICIES, type Policy } from "../api";
import { useLive, useNodes, useNow, usePods } from "../live";
import { FormActions, objectInput, SizeFields, TextField, useObjectFields } from "../object-form";
import { Empty, PageHeadWithForm, StatusBadge, useAction } from "../ui";

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
      <PageHeadWithForm title="Pods" openLabel="+ Launch pod" testid="toggle-launch" form={(close) => <LaunchForm onDone={close} />} />
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
  const form = useObjectFields({ cpu: "0.5", memory: "256" });
  const [algorithm, setAlgorithm] = useState("");
  const [selector, setSelector] = useState("");
  const [result, setResult] = useState("");
  const action = useAction();
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setResult("");
    void action.run(async () => {
      const r = await client.pods.launch.mutate({
        ...objectInput(form.fields),
        ...(algorithm ? { algorithm: algorithm as Policy } : {}),
        ...(selector.trim() ? { nodeSelector: parseLabels(selector) } : {}),
      });
      setResult(r.scheduled ? `${r.pod.name} placed on ${r.pod.nodeName}: ${r.message}` : `${r.pod.name} is Pending: ${r.message}`);
      form.set("name")("");
      if (r.scheduled) onDone();
    });
  };
  return (
    <form className="card form" onSubmit={submit} data-testid="launch-form">
      <h2>Launch a pod</h2>
      <div className="fields">
        <SizeFields kind="pod" form={form} />
        <label>
          Algorithm
          <select value={algorithm} onChange={(e) => setAlgorithm(e.target.value)} data-testid="pod-algorithm">
            <option value="">cluster default</option>
            {POLICIES.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <TextField label="Labels" value={form.fields.labels} onChange={form.set("labels")} placeholder="app=web" />
        <TextField label="Node selector" value={selector} onChange={setSelector} placeholder="zone=a" />
      </div>
      <FormActions action={action} label="Launch" busyLabel="Launching…" testid="launch-submit">
        {result && <span className="muted">{result}</span>}
      </FormActions>
    </form>
  );
}
