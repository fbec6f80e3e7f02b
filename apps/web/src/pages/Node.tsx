import { ago } from "../api";
import { useNodes, useNow } from "../live";
import { Bar, StatusBadge } from "../ui";
import { cpuText, memText, percent } from "../units";
import { useNodeUsage, usePodUsage } from "../usage";
import { UsageCard } from "../usage-charts";
import { PodUsageTable } from "./pod-usage-table";

/** One node: its use now and over time against its capacity and what its pods requested, and its pods by use. */
export function NodePage({ name }: { name: string }) {
  const nodes = useNodes();
  const now = useNow(1000);
  const n = nodes.find((x) => x.name === name);
  const usage = useNodeUsage().data?.find((u) => u.name === name);
  const pods = (usePodUsage().data ?? []).filter((p) => p.node === name);
  const used = usage?.usage;
  return (
    <div className="page">
      <a href="#/nodes">← Nodes</a>
      <h1>
        {name} {n && <StatusBadge status={n.status} />}
      </h1>
      {!n && nodes.length > 0 && <div className="error">There is no node named {name}.</div>}
      {n && (
        <div className="grid2">
          <div className="card">
            <h2>Use now</h2>
            {used ? (
              <div data-testid="node-used">
                <Share part={used} whole={n.capacity} />
                {usage.agent && (
                  <div className="muted small">
                    The node agent itself: {cpuText(usage.agent.cpuMilli)}, {memText(usage.agent.memoryMiB)}. Measured {usage.timestamp ? ago(new Date(usage.timestamp).toISOString(), now) : ""}.
                  </div>
                )}
              </div>
            ) : (
              <div className="muted">No fresh sample: the node has not reported its use in the last few heartbeats.</div>
            )}
          </div>
          <div className="card">
            <h2>Requested by its pods</h2>
            <Share part={n.allocated} whole={n.capacity} />
            <div className="muted small">
              {n.podIds.length === 1 ? "1 pod" : `${n.podIds.length} pods`} · {n.role} · {n.runtime} runtime
            </div>
          </div>
        </div>
      )}
      {n && <UsageCard target={{ kind: "node", name }} title="Usage over time" testid="node-usage" />}
      {n && (
        <div className="grid2">
          <div className="card">
            <h2>Its pods by CPU now</h2>
            <PodUsageTable pods={pods} resource="cpuMilli" showNode={false} testid="node-pods-cpu" />
          </div>
          <div className="card">
            <h2>Its pods by memory now</h2>
            <PodUsageTable pods={pods} resource="memoryMiB" showNode={false} testid="node-pods-memory" />
          </div>
        </div>
      )}
    </div>
  );
}

type Amounts = { cpuMilli: number; memoryMiB: number };

/** CPU and memory as bars: "CPU 300m of 2 cores (15%)". */
function Share({ part, whole }: { part: Amounts; whole: Amounts }) {
  return (
    <>
      <Bar value={part.cpuMilli} max={whole.cpuMilli} label={`CPU ${cpuText(part.cpuMilli)} of ${cpuText(whole.cpuMilli)} (${percent(part.cpuMilli, whole.cpuMilli)})`} />
      <Bar value={part.memoryMiB} max={whole.memoryMiB} label={`Memory ${memText(part.memoryMiB)} of ${memText(whole.memoryMiB)} (${percent(part.memoryMiB, whole.memoryMiB)})`} />
    </>
  );
}
