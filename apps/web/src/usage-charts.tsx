import { useMemo, useState } from "react";
import { errorMessage, type UsageRangeDTO, type UsageTarget } from "./api";
import { TimeChart, type ChartSeries } from "./time-chart";
import { SegButtons } from "./ui";
import { cpuText, memText } from "./units";
import { chartColumns, RANGES, useUsageRange, type UsageResource } from "./usage";

const MEASURED: Record<UsageResource, ChartSeries> = {
  cpuMilli: { label: "used", color: "#4c6ef5", fill: "rgba(76, 110, 245, 0.12)" },
  memoryMiB: { label: "used", color: "#f76707", fill: "rgba(247, 103, 7, 0.1)" },
};

// Memory ticks at powers of two (256 MiB, 1 GiB, 2 GiB), so the axis reads in round MiB and GiB.
const MEMORY_TICKS = [0.1, 0.25, 0.5, ...Array.from({ length: 24 }, (_, i) => 2 ** i)];

type Reference = "request" | "limit" | "allocated" | "capacity";

const REFERENCE: Record<Reference, Omit<ChartSeries, "label">> = {
  request: { color: "#2b8a3e", dash: [6, 4] },
  limit: { color: "#c92a2a", dash: [3, 3] },
  allocated: { color: "#7048e8", dash: [6, 4] },
  capacity: { color: "#495057", dash: [10, 4] },
};

/** The lines a series is drawn against: a pod's request and limit (when it has them), a node's or the cluster's capacity and allocation now. */
function referenceLines(r: UsageRangeDTO, resource: UsageResource): Array<{ name: Reference; value: number }> {
  const pick = (name: Reference, amounts: Partial<Record<UsageResource, number>> | undefined) => {
    const value = amounts?.[resource];
    return value !== undefined && value > 0 ? [{ name, value }] : [];
  };
  return r.target.kind === "pod"
    ? [...pick("request", r.requests), ...pick("limit", r.limits)]
    : [...pick("allocated", r.allocated), ...pick("capacity", r.capacity)];
}

/** CPU and memory of one node, pod or the cluster over a chosen range, live. */
export function UsageCard({ target, title, testid }: { target: UsageTarget; title: string; testid: string }) {
  const [range, setRange] = useState(RANGES[0]!);
  const q = useUsageRange(target, range);
  const r = q.data;
  return (
    <div className="card" data-testid={testid}>
      <div className="card-head">
        <h2>
          {title}{" "}
          {r && (
            <span className="muted small">
              {r.stepSeconds === 1 ? "every second" : `${r.stepSeconds} s averages`}, {new Date(r.from).toLocaleTimeString()} – {new Date(r.to).toLocaleTimeString()}
            </span>
          )}
        </h2>
        <SegButtons
          options={RANGES.map((c) => [c.id, c.label] as const)}
          value={range.id}
          onChange={(id) => setRange(RANGES.find((c) => c.id === id)!)}
          label="time range"
          testid={`${testid}-range`}
        />
      </div>
      {q.isError && <div className="error">{errorMessage(q.error)}</div>}
      {!r ? (
        !q.isError && <div className="muted chart-empty">Loading…</div>
      ) : (
        <div className="grid2 charts">
          <UsageChart r={r} resource="cpuMilli" testid={`${testid}-cpu`} />
          <UsageChart r={r} resource="memoryMiB" testid={`${testid}-memory`} />
        </div>
      )}
    </div>
  );
}

function UsageChart({ r, resource, testid }: { r: UsageRangeDTO; resource: UsageResource; testid: string }) {
  const format = resource === "cpuMilli" ? cpuText : memText;
  const what = resource === "cpuMilli" ? "CPU" : "Memory";
  const lines = referenceLines(r, resource);
  // The lines come from `r` too: a new answer is the only thing that changes the columns.
  const data = useMemo(() => chartColumns(r, resource, lines.map((l) => l.value)), [r, resource]);
  const series = [MEASURED[resource], ...lines.map((l) => ({ label: l.name, ...REFERENCE[l.name] }))];
  const last = r.points.at(-1);
  const against = lines.map((l) => ` · ${l.name} ${format(l.value)}`).join("");
  return (
    <div>
      <h3>
        {what} <span className="muted small">{(last ? `now ${format(last[resource])}` : "no samples in this range") + against}</span>
      </h3>
      <TimeChart
        data={data}
        series={series}
        format={format}
        incrs={resource === "memoryMiB" ? MEMORY_TICKS : undefined}
        points={r.points.length}
        label={`${what} used over time${against}`}
        testid={testid}
      />
    </div>
  );
}
