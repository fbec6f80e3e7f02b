import { useState } from "react";
import type { NodeUsageDTO } from "../api";
import { SegButtons } from "../ui";
import { cpuText, memText, percent } from "../units";
import { useNodeUsage, type UsageResource } from "../usage";

// Light blue when idle through yellow to red when full: a busy node stands out among hundreds.
const STOPS: Array<[number, [number, number, number]]> = [
  [0, [231, 245, 255]],
  [0.35, [165, 216, 255]],
  [0.6, [255, 212, 59]],
  [0.8, [255, 146, 43]],
  [1, [224, 49, 49]],
];

function heat(ratio: number): string {
  const v = Math.min(1, Math.max(0, ratio));
  const i = Math.max(1, STOPS.findIndex(([at]) => at >= v));
  const [a, ca] = STOPS[i - 1]!;
  const [b, cb] = STOPS[i]!;
  const f = (v - a) / (b - a);
  return `rgb(${ca.map((c, k) => Math.round(c + (cb[k]! - c) * f)).join(", ")})`;
}

function describe(n: NodeUsageDTO): string {
  const head = `${n.name} (${n.status}, ${n.podCount === 1 ? "1 pod" : `${n.podCount} pods`})`;
  if (!n.usage) return `${head}: no fresh sample`;
  const u = n.usage;
  const c = n.capacity;
  return (
    `${head}: CPU ${cpuText(u.cpuMilli)} of ${cpuText(c.cpuMilli)} (${percent(u.cpuMilli, c.cpuMilli)}), ` +
    `memory ${memText(u.memoryMiB)} of ${memText(c.memoryMiB)} (${percent(u.memoryMiB, c.memoryMiB)}); ` +
    `measured ${new Date(n.timestamp!).toLocaleTimeString()}`
  );
}

/** One tile per node coloured by its use now as a share of its capacity (CPU or memory); grey without a fresh sample. */
export function NodeHeatmap() {
  const q = useNodeUsage();
  const [resource, setResource] = useState<UsageResource>("cpuMilli");
  const nodes = q.data ?? [];
  return (
    <div className="card" data-testid="heatmap">
      <div className="card-head">
        <h2>
          Node utilisation <span className="muted small">(use now as a share of capacity)</span>
        </h2>
        <SegButtons<UsageResource>
          options={[
            ["cpuMilli", "CPU"],
            ["memoryMiB", "Memory"],
          ]}
          value={resource}
          onChange={setResource}
          label="colour by"
          testid="heatmap-by"
        />
      </div>
      {nodes.length === 0 ? (
        <div className="muted">{q.isLoading ? "Loading…" : "No nodes."}</div>
      ) : (
        <div className="heatmap">
          {nodes.map((n) => {
            const ratio = n.usage ? n.usage[resource] / (n.capacity[resource] || 1) : null;
            const text = describe(n);
            return (
              <a
                key={n.name}
                href={`#/nodes/${encodeURIComponent(n.name)}`}
                className={`tile ${ratio === null ? "stale" : ratio >= 0.8 ? "dark" : ""}`}
                style={ratio === null ? undefined : { background: heat(ratio) }}
                title={text}
                aria-label={text}
                data-testid={`heat-${n.name}`}
                data-value={ratio === null ? "" : Math.round(ratio * 100)}
              >
                <span className="tile-name">{n.name}</span>
                <span className="tile-value">{ratio === null ? "—" : `${Math.round(ratio * 100)}%`}</span>
              </a>
            );
          })}
        </div>
      )}
      <div className="legend heat-legend">
        <span>0%</span>
        <span className="heat-scale" style={{ background: `linear-gradient(to right, ${STOPS.map(([at]) => `${heat(at)} ${at * 100}%`).join(", ")})` }} />
        <span>100% of capacity</span>
        <span>
          <span className="tile-swatch stale" /> no fresh sample
        </span>
      </div>
    </div>
  );
}
