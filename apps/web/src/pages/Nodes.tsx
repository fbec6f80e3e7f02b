import { useState } from "react";
import { ago, cores, mib, NODE_ROLES, type NodeDTO, type NodeRole, type RuntimeKind } from "../api";
import { useClusterStatus, useLive, useNodes, useNow, usePods } from "../live";
import { FormActions, objectInput, RuntimeSelect, SizeFields, TextField, useObjectFields } from "../object-form";
import { Bar, Empty, PageHeadWithForm, StatusBadge, useAction } from "../ui";
import { NodePods } from "./node-pods";

/** Cards drawn at once: a fleet of 10,000 hollow nodes is shown a page at a time. */
const PAGE_SIZE = 48;

export function NodesPage() {
  const nodes = useNodes();
  const [filter, setFilter] = useState("");
  const [page, setPage] = useState(0);
  const wanted = filter.trim().toLowerCase();
  // Matches the name, the status or a label (key=value), so "Suspect" or "tier=web" narrow a big fleet.
  const shown = wanted
    ? nodes.filter((n) => n.name.toLowerCase().includes(wanted) || n.status.toLowerCase() === wanted || Object.entries(n.labels).some(([k, v]) => `${k}=${v}`.toLowerCase().includes(wanted)))
    : nodes;
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  const current = Math.min(page, pages - 1);
  const from = current * PAGE_SIZE;
  return (
    <div className="page">
      <PageHeadWithForm title="Nodes" openLabel="+ Add node" testid="toggle-add-node" form={(close) => <AddNodeForm onDone={close} />} />
      {nodes.length === 0 ? (
        <Empty>No nodes yet. Add one to start placing pods.</Empty>
      ) : (
        <>
          {nodes.length > PAGE_SIZE && (
            <div className="row" data-testid="node-pager">
              <input placeholder="filter: name, status or label" value={filter} onChange={(e) => (setFilter(e.target.value), setPage(0))} data-testid="node-filter" />
              <button className="secondary small-btn" disabled={current === 0} onClick={() => setPage(current - 1)}>
                ‹ prev
              </button>
              <span>
                {shown.length === 0 ? 0 : from + 1}–{Math.min(from + PAGE_SIZE, shown.length)} of {shown.length}
              </span>
              <button className="secondary small-btn" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
                next ›
              </button>
            </div>
          )}
          <div className="node-grid">
            {shown.slice(from, from + PAGE_SIZE).map((n) => (
              <NodeCard key={n.id} node={n} />
            ))}
          </div>
        </>
      )}
    </div>
  );
}

function AddNodeForm({ onDone }: { onDone(): void }) {
  const { client } = useLive();
  const status = useClusterStatus();
  const form = useObjectFields({ cpu: "4", memory: "" });
  const [role, setRole] = useState<NodeRole>("worker");
  const [runtime, setRuntime] = useState("");
  const action = useAction();
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await client.nodes.add.mutate({
        ...objectInput(form.fields),
        role,
        ...(runtime ? { runtime: runtime as RuntimeKind } : {}),
      });
      form.set("name")("");
      onDone();
    });
  };
  return (
    <form className="card form" onSubmit={submit} data-testid="add-node-form">
      <h2>Add a node</h2>
      <div className="fields">
        <SizeFields kind="node" form={form} memoryPlaceholder="4096 per core" />
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as NodeRole)}>
            {NODE_ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <TextField label="Labels" value={form.fields.labels} onChange={form.set("labels")} placeholder="zone=a,disk=ssd" />
        <RuntimeSelect value={runtime} onChange={setRuntime} defaultRuntime={status.data?.runtime} testid="node-runtime" />
      </div>
      <FormActions action={action} label="Add node" busyLabel="Adding…" testid="add-node-submit" />
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
          <a className="node-name" href={`#/nodes/${encodeURIComponent(n.name)}`} title="use over time">
            {n.name}
          </a>
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
      <NodePods node={n} pods={byId} />
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
