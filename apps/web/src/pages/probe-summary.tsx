import type { ProbePortDTO, ProbeResultDTO } from "../api";
import { durationText } from "../units";

/** How the probe went: its size and time, whether the current policies were in force, and the comparison's counts. */
export function ProbeSummary({ result, port }: { result: ProbeResultDTO; port: ProbePortDTO | undefined }) {
  const c = port?.comparison;
  return (
    <div className="probe-summary" data-testid="probe-summary">
      <span>
        {result.pods.length} pods · {result.connections} connections in <span data-testid="probe-duration">{durationText(result.durationMs)}</span>
        {/* Under a tenth of a second the wait would read "0 s": not worth a word. */}
        {result.waitedMs >= 100 && <span className="muted"> (of which {durationText(result.waitedMs)} waiting for nodes to apply the policies)</span>}
      </span>
      {result.policiesInForce ? (
        <span className="ok" data-testid="policies-in-force" data-value="true">
          current policies in force on every enforcing node
        </span>
      ) : (
        <span className="bad" data-testid="policies-in-force" data-value="false">
          some node had not applied the current policies: cells may show the previous ones
        </span>
      )}
      {c && (
        <span data-testid="probe-comparison" data-wrong={c.wrong}>
          against the policies: <b className="ok">{c.correct} agree</b>, <b className={c.wrong > 0 ? "bad" : ""}>{c.wrong} disagree</b>
          {c.ignored > 0 && <span className="muted">, {c.ignored} pod-to-itself cells ignored</span>}
        </span>
      )}
    </div>
  );
}

/** Pods left out of the matrix, with why, and the connections that could not be made at all. */
export function ProbeProblems({ result }: { result: ProbeResultDTO }) {
  if (result.skipped.length === 0 && result.errors.length === 0) return null;
  return (
    <div className="probe-problems">
      {result.skipped.length > 0 && (
        <div data-testid="probe-skipped">
          <h3>Not probed</h3>
          <ul>
            {result.skipped.map((s) => (
              <li key={s.pod}>
                <span className="mono">{s.pod}</span>: {s.reason}
              </li>
            ))}
          </ul>
        </div>
      )}
      {result.errors.length > 0 && (
        <div data-testid="probe-errors">
          <h3 className="bad">Errors (those cells are "?", not blocked)</h3>
          <ul className="field-errors">
            {result.errors.map((e, i) => (
              <li key={i}>{e}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
