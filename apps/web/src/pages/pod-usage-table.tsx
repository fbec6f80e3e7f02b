import type { PodUsageDTO } from "../api";
import { Bar } from "../ui";
import { cpuText, memText, percent } from "../units";
import type { UsageResource } from "../usage";

/** Pods by their use now of one resource, most first, against what they requested (over 100% is using more than asked for). */
export function PodUsageTable(props: { pods: PodUsageDTO[]; resource: UsageResource; limit?: number; showNode?: boolean; testid: string }) {
  const { pods, resource, limit, showNode = true, testid } = props;
  const format = resource === "cpuMilli" ? cpuText : memText;
  const ranked = pods
    .filter((p) => p.usage)
    .sort((a, b) => b.usage![resource] - a.usage![resource])
    .slice(0, limit);
  if (ranked.length === 0) return <div className="muted">No pod has reported its use yet.</div>;
  return (
    <table className="table usage-table" data-testid={testid}>
      <thead>
        <tr>
          <th>Pod</th>
          {showNode && <th>Node</th>}
          <th className="num">Used</th>
          <th className="num">Request</th>
          <th className="num">Limit</th>
          <th>Of request</th>
        </tr>
      </thead>
      <tbody>
        {ranked.map((p) => {
          const used = p.usage![resource];
          const request = p.requests[resource];
          const max = p.limits[resource];
          return (
            <tr key={p.name} data-testid={`${testid}-${p.name}`}>
              <td>
                <a href={`#/pods/${encodeURIComponent(p.name)}`}>{p.name}</a>
              </td>
              {showNode && <td>{p.node ? <a href={`#/nodes/${encodeURIComponent(p.node)}`}>{p.node}</a> : <span className="muted">—</span>}</td>}
              <td className="num">{format(used)}</td>
              <td className="num">{request > 0 ? format(request) : <span className="muted">none</span>}</td>
              <td className="num">{max !== undefined ? format(max) : <span className="muted">none</span>}</td>
              <td className="of-request">{request > 0 ? <Bar value={used} max={request} label={percent(used, request)} /> : <span className="muted">—</span>}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
