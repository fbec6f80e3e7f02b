import { useState } from "react";
import { ago, cores, mib, parseLabels, type NodeDTO } from "../api";
import { useClusterStatus, useLive, useNodes, useNow, usePods } from "../live";
import { Bar, Empty, StatusBadge, useAction } from "../ui";

export function NodesPage() {
  const nodes = useNodes();
  const [adding, setAdding] = useState(false);
  return (
    <div className="page">
      <div className="page-head">
        <h1>Nodes</h1>
        <button onClick={() => setAdding(!adding)} data-testid="toggle-add-node">
          {adding ? "Close" : "+ Add node"}
        </button>
      </div>
      {adding && <AddNodeForm onDone={() => setAdding(false)} />}
      {nodes.length === 0 ? (
        <Empty>No nodes yet. Add one to start placing pods.</Empty>
      ) : (
        <div className="node-grid">
          {nodes.map((n) => (
            <NodeCard key={n.id} node={n} />
          ))}
        </div>
      )}
    </div>
  );
}

function AddNodeForm({ onDone }: { onDone(): void }) {
  const { client } = useLive();
  const status = useClusterStatus();
  const [name, setName] = useState("");
  const [cpu, setCpu] = useState("4");
  const [memory, setMemory] = useState("");
  const [role, setRole] = useState<"worker" | "master">("worker");
  const [labels, setLabels] = useState("");
  const [runtime, setRuntime] = useState("");
  const action = useAction();
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await client.nodes.add.mutate({
        cpu: Number(cpu),
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(memory.trim() ? { memoryMiB: Number(memory) } : {}),
        role,
        ...(labels.trim() ? { labels: parseLabels(labels) } : {}),
        ...(runtime ? { runtime: runtime as NodeDTO["runtime"] } : {}),
      });
      setName("");
      onDone();
    });
  };
  return (
    <form className="card form" onSubmit={submit} data-testid="add-node-form">
      <h2>Add a node</h2>
      <div className="fields">
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} placeholder="generated" data-testid="node-name" />
        </label>
        <label>
          CPU (cores) <input value={cpu} onChange={(e) => setCpu(e.target.value)} inputMode="decimal" data-testid="node-cpu" />
        </label>
        <label>
          Memory (MiB) <input value={memory} onChange={(e) => setMemory(e.target.value)} placeholder="4096 per core" data-testid="node-memory" />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as "worker" | "master")}>
            <option>worker</option>
            <option>master</option>
          </select>
        </label>
        <label>
          Labels <input value={labels} onChange={(e) => setLabels(e.target.value)} placeholder="zone=a,disk=ssd" />
        </label>
        <label>
          Runtime
          <select value={runtime} onChange={(e) => setRuntime(e.target.value)} data-testid="node-runtime">
            <option value="">default ({status.data?.runtime ?? "…"})</option>
            <option value="process">process</option>
            <option value="docker">docker</option>
            <option value="hollow">hollow (simulated)</option>
          </select>
        </label>
      </div>
      <div className="actions">
        <button disabled={action.busy} data-testid="add-node-submit">
          {action.busy ? "Adding…" : "Add node"}
        </button>
        {action.error && <span className="error">{action.error}</span>}
      </div>
    </form>
  );
}

function NodeCard({ node: n }: { node: NodeDTO }) {
  const { client } = useLive();
  const pods = usePods();
  const now = useNow(500);
  const action = useAction();
  const byId = new Map(pods.map((p) => [p.id, p]));
  const components = Object.entries(n.components);
  const act = (fn: () => Promise<unknown>) => void action.run(fn);
  return (
    <div className={`card node s-${n.status}`} data-testid={`node-${n.name}`} data-status={n.status}>
      <div className="node-head">
        <div>
          <div className="node-name">{n.name}</div>
          <div className="muted small mono">{n.id.slice(0, 8)}</div>
        </div>
        <StatusBadge status={n.status} />
      </div>
      {n.reason && n.status !== "Ready" && <div className="node-reason small">{n.reason}</div>}
      <div className="kv">
        <span>Role</span>
        <span>{n.role}</span>
        <span>Runtime</span>
        <span className="mono small">
          {n.runtime}
          {n.containerId ? ` · ${n.containerId.slice(0, 24)}` : ""}
        </span>
        <span>Heartbeat</span>
        <span data-testid="heartbeat">{ago(n.lastHeartbeatAt, now)}</span>
        {n.recoveryAttempts > 0 && (
          <>
            <span>Recoveries</span>
            <span>{n.recoveryAttempts}</span>
          </>
        )}
      </div>
      <Bar value={n.allocated.cpuMilli} max={n.capacity.cpuMilli} label={`CPU ${cores(n.allocated.cpuMilli)} / ${cores(n.capacity.cpuMilli)}`} />
      <Bar value={n.allocated.memoryMiB} max={n.capacity.memoryMiB} label={`Memory ${mib(n.allocated.memoryMiB)} / ${mib(n.capacity.memoryMiB)}`} />
      {components.length > 0 && (
        <div className="components">
          {components.map(([k, v]) => (
            <span key={k} className={`comp ${v === "Healthy" ? "ok" : "bad"}`} title={v}>
              {k}
            </span>
          ))}
        </div>
      )}
      <div className="pods-array" data-testid="pod-ids">
        <span className="muted small">pods [{n.podIds.length}]</span>
        {n.podIds.map((id) => {
          const p = byId.get(id);
          return (
            <a key={id} className="pod-chip" href={p ? `#/pods/${encodeURIComponent(p.name)}` : undefined} title={id}>
              {p?.name ?? id.slice(0, 8)}
            </a>
          );
        })}
      </div>
      <div className="node-actions">
        <button className="danger small-btn" disabled={action.busy} onClick={() => act(() => client.nodes.fail.mutate({ name: n.name, mode: "kill" }))} data-testid="fail-kill">
          Kill
        </button>
        <button className="warn small-btn" disabled={action.busy} onClick={() => act(() => client.nodes.fail.mutate({ name: n.name, mode: "pause" }))} data-testid="fail-pause">
          Pause
        </button>
        <button className="secondary small-btn" disabled={action.busy} onClick={() => act(() => client.nodes.recover.mutate({ name: n.name }))} data-testid="recover">
          Recover
        </button>
        <button
          className="secondary small-btn"
          disabled={action.busy}
          onClick={() => {
            if (window.confirm(`Remove node ${n.name}? Its pods move to other nodes.`)) act(() => client.nodes.remove.mutate({ name: n.name }));
          }}
          data-testid="remove"
        >
          Remove
        </button>
      </div>
      {action.error && <div className="error small">{action.error}</div>}
    </div>
  );
}
