import { cores, isTerminalNodeStatus, mib, NODE_STATUSES, POD_STATUSES } from "../api";
import { useEvents, useNodes, usePods } from "../live";
import { Bar, LinkedTitle, StatusBadge } from "../ui";
import { percent } from "../units";
import { usePodUsage } from "../usage";
import { UsageCard } from "../usage-charts";
import { AutoscalerSummary } from "./autoscaler-feed";
import { EventRow } from "./Events";
import { NetpolSummary } from "./netpol-summary";
import { NodeHeatmap } from "./node-heatmap";
import { PodUsageTable } from "./pod-usage-table";

export function OverviewPage() {
  const nodes = useNodes();
  const pods = usePods();
  const events = useEvents();
  const live = nodes.filter((n) => !isTerminalNodeStatus(n.status));
  const cap = { cpu: 0, mem: 0 };
  const alloc = { cpu: 0, mem: 0 };
  for (const n of live) {
    cap.cpu += n.capacity.cpuMilli;
    cap.mem += n.capacity.memoryMiB;
    alloc.cpu += n.allocated.cpuMilli;
    alloc.mem += n.allocated.memoryMiB;
  }
  const nodeCounts = count(nodes.map((n) => n.status));
  const podCounts = count(pods.map((p) => p.status));
  return (
    <div className="page">
      <h1>Overview</h1>
      <div className="stats">
        <div className="card stat" data-testid="total-nodes">
          <div className="stat-label">Nodes</div>
          <div className="stat-value">{nodes.length}</div>
          <div className="muted">{nodeCounts.Ready ?? 0} Ready</div>
        </div>
        <div className="card stat" data-testid="total-pods">
          <div className="stat-label">Pods</div>
          <div className="stat-value">{pods.length}</div>
          <div className="muted">{podCounts.Running ?? 0} Running</div>
        </div>
        <div className="card stat wide">
          <div className="stat-label">CPU allocated / capacity</div>
          <div className="stat-value">
            {cores(alloc.cpu)} <span className="muted">/ {cores(cap.cpu)} cores</span>
          </div>
          <Bar value={alloc.cpu} max={cap.cpu} label={percent(alloc.cpu, cap.cpu)} />
        </div>
        <div className="card stat wide">
          <div className="stat-label">Memory allocated / capacity</div>
          <div className="stat-value">
            {mib(alloc.mem)} <span className="muted">/ {mib(cap.mem)}</span>
          </div>
          <Bar value={alloc.mem} max={cap.mem} label={percent(alloc.mem, cap.mem)} />
        </div>
      </div>
      <div className="grid2">
        <div className="card">
          <h2>Nodes by status</h2>
          <StatusStrip counts={nodeCounts} order={NODE_STATUSES} total={nodes.length} />
        </div>
        <div className="card">
          <h2>Pods by status</h2>
          <StatusStrip counts={podCounts} order={POD_STATUSES} total={pods.length} />
        </div>
      </div>
      <UsageCard target={{ kind: "cluster" }} title="Cluster use" testid="cluster-usage" />
      <NodeHeatmap />
      <AutoscalerSummary />
      <NetpolSummary />
      <TopConsumers />
      <div className="card">
        <LinkedTitle title="Recent events" href="#/events" link="all events →" />
        <div className="events compact">
          {events
            .slice(-8)
            .reverse()
            .map((e) => (
              <EventRow key={e.id} e={e} />
            ))}
        </div>
      </div>
    </div>
  );
}

function count(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function StatusStrip({ counts, order, total }: { counts: Record<string, number>; order: readonly string[]; total: number }) {
  const present = order.filter((s) => counts[s]);
  if (total === 0) return <div className="muted">None yet.</div>;
  return (
    <>
      <div className="strip">
        {present.map((s) => (
          <div key={s} className={`seg bg-${s}`} style={{ flex: counts[s] }} title={`${s}: ${counts[s]}`} />
        ))}
      </div>
      <div className="legend">
        {present.map((s) => (
          <span key={s} data-testid={`count-${s}`}>
            <StatusBadge status={s} /> {counts[s]}
          </span>
        ))}
      </div>
    </>
  );
}

/** The five pods using the most CPU and the five using the most memory, with what they requested. */
function TopConsumers() {
  const pods = usePodUsage().data ?? [];
  return (
    <div className="grid2">
      <div className="card">
        <h2>Top pods by CPU now</h2>
        <PodUsageTable pods={pods} resource="cpuMilli" limit={5} testid="top-cpu" />
      </div>
      <div className="card">
        <h2>Top pods by memory now</h2>
        <PodUsageTable pods={pods} resource="memoryMiB" limit={5} testid="top-memory" />
      </div>
    </div>
  );
}
