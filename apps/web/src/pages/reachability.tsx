import { useState } from "react";
import type { NamespaceDTO } from "../api";
import { useNow } from "../live";
import { LIVE_INTERVAL_MS, PROBE_TIMEOUT_MS, useProbe, type ProbeRequest } from "../probe";
import { durationText, sinceText } from "../units";
import { CellExplanation } from "./cell-explanation";
import { ProbeProblems, ProbeSummary } from "./probe-summary";
import { MatrixLegend, ReachabilityMatrix, type PickedCell, type Reach } from "./reachability-matrix";

/** The port as typed, or undefined when it is no TCP port. */
function portOf(text: string): number | undefined {
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

/** The live reachability matrix of a set of namespaces on one port: real connections, optionally against the policies. */
export function ReachabilityCard({ namespaces }: { namespaces: NamespaceDTO[] }) {
  // null until the user ticks a box: then the default (every namespace with pods) follows the cluster.
  const [chosen, setChosen] = useState<string[] | null>(null);
  const [portText, setPortText] = useState("80");
  const [expect, setExpect] = useState(true);
  const [live, setLive] = useState(false);
  const [picked, setPicked] = useState<PickedCell | null>(null);
  const names = chosen ?? namespaces.filter((n) => n.pods > 0).map((n) => n.name);
  const port = portOf(portText);
  const request: ProbeRequest | null = port !== undefined && names.length > 0 ? { namespaces: names, port, expect } : null;
  const probe = useProbe(request, live && request !== null);
  const toggle = (name: string) => setChosen(names.includes(name) ? names.filter((n) => n !== name) : [...names, name]);
  const answer = probe.answer;
  const shownPort = answer?.result.ports[0];
  const cell = picked && shownPort ? observedCell(shownPort.observed, picked) : undefined;
  return (
    <div className="card" data-testid="reachability">
      <h2>Reachability</h2>
      <div className="probe-form">
        <fieldset className="ns-choice" data-testid="probe-namespaces">
          <legend className="stat-label">Namespaces</legend>
          {namespaces.map((n) => (
            <label key={n.name} className="check">
              <input type="checkbox" checked={names.includes(n.name)} onChange={() => toggle(n.name)} data-testid={`probe-ns-${n.name}`} />
              <span className="mono">{n.name}</span> <span className="muted small">({n.pods} pods)</span>
            </label>
          ))}
        </fieldset>
        <label className="check">
          port <input className="port-input" value={portText} onChange={(e) => setPortText(e.target.value)} inputMode="numeric" data-testid="probe-port" />
        </label>
        <label className="check">
          <input type="checkbox" checked={expect} onChange={(e) => setExpect(e.target.checked)} data-testid="probe-expect" /> compare with policies
        </label>
        <button type="button" disabled={!request || probe.busy} onClick={() => void probe.probeNow()} data-testid="probe-now">
          {probe.busy ? "Probing…" : "Probe now"}
        </button>
        <label className="check" title={`probe again ${durationText(LIVE_INTERVAL_MS)} after each answer, while this page is visible`}>
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} disabled={!request} data-testid="probe-live" /> live
        </label>
      </div>
      <div className="muted small">
        {port === undefined && <span className="error">The port must be a whole number from 1 to 65535. </span>}
        {names.length === 0 && <span className="error">Choose at least one namespace. </span>}
        Every cell is a real TCP connection made from inside the source pod; a blocked one costs up to {durationText(PROBE_TIMEOUT_MS)}.
        {live && ` Live: again ${durationText(LIVE_INTERVAL_MS)} after each answer while the page is visible.`}
      </div>
      {probe.error && (
        <div className="error" data-testid="probe-error">
          {probe.error}
        </div>
      )}
      {answer && <ProbedAt at={answer.at} namespaces={answer.request.namespaces} port={answer.request.port} />}
      {answer && <ProbeSummary result={answer.result} port={shownPort} />}
      {shownPort && shownPort.observed.froms.length > 0 && (
        <>
          <ReachabilityMatrix port={shownPort} picked={picked} onPick={setPicked} />
          <MatrixLegend compared={!!shownPort.comparison} />
        </>
      )}
      {answer && answer.result.pods.length === 0 && <div className="muted">No pod of these namespaces could be probed.</div>}
      {answer && <ProbeProblems result={answer.result} />}
      {picked && answer && <CellExplanation cell={{ ...picked, port: answer.request.port }} observed={cell} asOf={answer.at} onClose={() => setPicked(null)} />}
    </div>
  );
}

/** The chosen cell's value in the matrix shown now (undefined when the pods left it). */
function observedCell(m: { froms: string[]; tos: string[]; cells: Reach[][] }, c: PickedCell): Reach {
  const i = m.froms.indexOf(c.from);
  const j = m.tos.indexOf(c.to);
  return i < 0 || j < 0 ? undefined : m.cells[i]?.[j];
}

function ProbedAt({ at, namespaces, port }: { at: number; namespaces: string[]; port: number }) {
  const now = useNow(1000);
  return (
    <div className="small muted" data-testid="probed-at" data-at={at}>
      {namespaces.join(", ")} · port {port}/TCP · probed {sinceText(at, now)}
    </div>
  );
}
