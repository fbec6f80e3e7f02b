import type { ReactNode } from "react";
import type { PodDTO } from "../api";
import {
  amountsText,
  enforcementText,
  probeHandler,
  probeTiming,
  stateKind,
  stateText,
  type ContainerSpecDTO,
  type ContainerStatusDTO,
  type Enforcement,
} from "../containers";
import { useNow } from "../live";

/** Each container of a pod as `kubectl describe pod` shows it: image, command, state, limits and how they are enforced, probes. */
export function PodContainers({ pod }: { pod: PodDTO }) {
  const now = useNow(1000);
  const containers = pod.spec?.containers ?? [];
  if (containers.length === 0) {
    return (
      <div className="card">
        <h2>Containers</h2>
        <div className="muted">None: this pod only holds its request on its node.</div>
      </div>
    );
  }
  return (
    <div className="card">
      <h2>Containers</h2>
      <div className="containers">
        {containers.map((c) => (
          <ContainerBlock
            key={c.name}
            spec={c}
            status={pod.containerStatuses.find((s) => s.name === c.name)}
            enforcement={pod.enforcement[c.name]}
            now={now}
          />
        ))}
      </div>
    </div>
  );
}

function Row({ label, children, testid }: { label: string; children: ReactNode; testid?: string }) {
  return (
    <>
      <span>{label}</span>
      <span data-testid={testid}>{children}</span>
    </>
  );
}

function ContainerBlock(props: { spec: ContainerSpecDTO; status: ContainerStatusDTO | undefined; enforcement: Enforcement | undefined; now: number }) {
  const { spec: c, status: s, enforcement, now } = props;
  const kind = s ? stateKind(s.state) : "none";
  const enforced = enforcementText(c.limits, enforcement);
  const probes = (["liveness", "readiness", "startup"] as const).flatMap((k) => {
    const p = c[`${k}Probe`];
    return p ? [{ kind: k, probe: p }] : [];
  });
  return (
    <div className="container-block" data-testid={`container-${c.name}`} data-state={kind} data-ready={String(s?.ready ?? false)}>
      <div className="container-head">
        <span className="mono">{c.name}</span>
        <span className={`badge s-${kind === "running" ? "Running" : kind === "waiting" ? "Pending" : kind === "terminated" ? "Failed" : "none"}`}>
          {kind === "none" ? "not reported" : kind}
        </span>
      </div>
      <div className="kv wide-kv">
        <Row label="Image">
          <span className="mono">{c.image}</span>
        </Row>
        <Row label="Command">
          <span className="mono small">{[...c.command, ...c.args].map(quoteWord).join(" ") || "(the image's default)"}</span>
        </Row>
        <Row label="State" testid="container-state">
          {s ? stateText(s.state, now) : "— (its node has not reported it yet)"}
        </Row>
        <Row label="Last state">{s ? stateText(s.lastState, now) : "—"}</Row>
        <Row label="Ready" testid="container-ready">
          {s ? (s.ready ? <span className="ok">true</span> : <span className="bad">false</span>) : "—"}
        </Row>
        <Row label="Restart count" testid="container-restarts">
          {s?.restartCount ?? 0}
        </Row>
        <Row label="Requests">{amountsText(c.requests)}</Row>
        <Row label="Limits">
          {amountsText(c.limits)}
          {enforced && <span className="muted small" data-testid="container-enforcement"> — {enforced}</span>}
        </Row>
        {c.ports.length > 0 && <Row label="Ports">{c.ports.map((p) => `${p.containerPort}/${p.protocol}${p.name ? ` (${p.name})` : ""}`).join(", ")}</Row>}
        {c.env.length > 0 && (
          <Row label="Environment">
            <span className="mono small">{c.env.map((e) => `${e.name}=${e.value}`).join(" ")}</span>
          </Row>
        )}
        {probes.map(({ kind: k, probe }) => (
          <Row key={k} label={`${k[0]!.toUpperCase()}${k.slice(1)} probe`}>
            <span className="mono small">
              {probeHandler(probe)} {probeTiming(probe)}
            </span>
          </Row>
        ))}
      </div>
    </div>
  );
}

/** Quotes a word that a shell would split, so the command reads as it would be typed. */
function quoteWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}
