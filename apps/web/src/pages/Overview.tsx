import { cores, isTerminalNodeStatus, mib, NODE_STATUSES, POD_STATUSES } from "../api";
import { useEvents, useLive, useNodes, usePods, type AllocationPoint } from "../live";
import { Bar, StatusBadge } from "../ui";
import { EventRow } from "./Events";

export function OverviewPage() {
  const nodes = useNodes();
  const pods = usePods();
  const events = useEvents();
  const { history } = useLive();
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
          <Bar value={alloc.cpu} max={cap.cpu} label={pct(alloc.cpu, cap.cpu)} />
        </div>
        <div className="card stat wide">
          <div className="stat-label">Memory allocated / capacity</div>
          <div className="stat-value">
            {mib(alloc.mem)} <span className="muted">/ {mib(cap.mem)}</span>
          </div>
          <Bar value={alloc.mem} max={cap.mem} label={pct(alloc.mem, cap.mem)} />
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
      <div className="card">
        <h2>
          Allocation over time <span className="muted small">(since this page opened, sampled every 2 s)</span>
        </h2>
        <AllocationChart points={history} />
      </div>
      <div className="card">
        <h2>
          Recent events{" "}
          <a className="small" href="#/events">
            all events →
          </a>
        </h2>
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

function pct(a: number, b: number): string {
  return b > 0 ? `${Math.round((a / b) * 100)}%` : "—";
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

/** CPU and memory allocation (% of capacity) over time, plain SVG. */
function AllocationChart({ points }: { points: AllocationPoint[] }) {
  const W = 900;
  const H = 200;
  const pad = { l: 40, r: 12, t: 10, b: 24 };
  if (points.length < 2) return <div className="muted chart-empty">Collecting samples…</div>;
  const t0 = points[0]!.t;
  const t1 = Math.max(points.at(-1)!.t, t0 + 60_000);
  const x = (t: number) => pad.l + ((t - t0) / (t1 - t0)) * (W - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - v) * (H - pad.t - pad.b);
  const line = (f: (p: AllocationPoint) => number) =>
    points.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(Math.min(1, f(p))).toFixed(1)}`).join(" ");
  const cpu = (p: AllocationPoint) => (p.cpuCapacity ? p.cpuAllocated / p.cpuCapacity : 0);
  const mem = (p: AllocationPoint) => (p.memCapacity ? p.memAllocated / p.memCapacity : 0);
  const area = `${line(cpu)} L${x(points.at(-1)!.t).toFixed(1)},${y(0)} L${x(t0).toFixed(1)},${y(0)} Z`;
  const minutes = Math.round((t1 - t0) / 60_000);
  return (
    <div>
      <svg viewBox={`0 0 ${W} ${H}`} className="chart" role="img" aria-label="allocation chart">
        {[0, 0.25, 0.5, 0.75, 1].map((v) => (
          <g key={v}>
            <line x1={pad.l} x2={W - pad.r} y1={y(v)} y2={y(v)} className="grid" />
            <text x={pad.l - 6} y={y(v) + 4} className="axis" textAnchor="end">
              {v * 100}%
            </text>
          </g>
        ))}
        <text x={pad.l} y={H - 6} className="axis">
          {minutes > 0 ? `${minutes} min ago` : "now"}
        </text>
        <text x={W - pad.r} y={H - 6} className="axis" textAnchor="end">
          now
        </text>
        <path d={area} className="area-cpu" />
        <path d={line(cpu)} className="line-cpu" />
        <path d={line(mem)} className="line-mem" />
      </svg>
      <div className="legend">
        <span>
          <span className="swatch cpu" /> CPU allocated {pct(points.at(-1)!.cpuAllocated, points.at(-1)!.cpuCapacity)}
        </span>
        <span>
          <span className="swatch mem" /> Memory allocated {pct(points.at(-1)!.memAllocated, points.at(-1)!.memCapacity)}
        </span>
      </div>
    </div>
  );
}
