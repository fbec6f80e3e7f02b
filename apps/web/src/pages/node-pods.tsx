import type { NodeDTO, PodDTO } from "../api";
import { podStatusText, stateKind, stateShort } from "../containers";

/** The pods a node runs and, under each, its containers with their states: the processes on the node. */
export function NodePods({ node, pods }: { node: NodeDTO; pods: Map<string, PodDTO> }) {
  return (
    <div className="node-pods" data-testid="pod-ids">
      <span className="muted small">pods [{node.podIds.length}]</span>
      {node.podIds.map((id) => {
        const p = pods.get(id);
        if (!p) {
          return (
            <span key={id} className="pod-chip" title={id}>
              {id.slice(0, 8)}
            </span>
          );
        }
        return (
          <div key={id} className="node-pod" data-testid={`node-pod-${p.name}`}>
            <div className="node-pod-head">
              <a className="pod-chip" href={`#/pods/${encodeURIComponent(p.name)}`} title={id}>
                {p.name}
              </a>
              <span className="muted small">{podStatusText(p)}</span>
            </div>
            {(p.spec?.containers ?? []).map((c) => {
              const s = p.containerStatuses.find((x) => x.name === c.name);
              const kind = s ? stateKind(s.state) : "none";
              return (
                <div key={c.name} className="proc" title={[c.image, ...c.command, ...c.args].join(" ")} data-testid={`proc-${p.name}-${c.name}`}>
                  {c.name} <span className="muted">({c.image})</span>{" "}
                  <span className={kind === "running" ? "ok" : kind === "none" ? "" : "bad"}>{s ? stateShort(s.state) : "not reported"}</span>
                  {s && s.restartCount > 0 ? ` ↻${s.restartCount}` : ""}
                </div>
              );
            })}
          </div>
        );
      })}
    </div>
  );
}
