import type { ProbePortDTO } from "../api";

/** The cell a click chose: its pods ("ns/name") and port. */
export interface PickedCell {
  from: string;
  to: string;
  port: number;
}

type Compared = NonNullable<ProbePortDTO["comparison"]>["cells"][number][number];

/** A cell's value: JSON carries an unknown cell of the matrix as null, an unknown one of the comparison as absent. */
export type Reach = boolean | null | undefined;

/** upstream's and cyclonus' marks: "." connected, "X" blocked, "?" not known. */
export function mark(value: Reach): string {
  return value == null ? "?" : value ? "." : "X";
}

/** "allowed", "blocked" or "unknown": the class a cell is coloured by. */
export function reachClass(value: Reach): string {
  return value == null ? "unknown" : value ? "allowed" : "blocked";
}

/** The cell in words. */
export function reachText(value: Reach): string {
  return value == null ? "not known" : value ? "connected" : "blocked";
}

function cellClass(observed: Reach, compared: Compared | undefined): string {
  const base = reachClass(observed);
  if (!compared) return base;
  if (compared.ignored) return `${base} loopback`;
  return compared.agree ? base : `${base} disagree`;
}

function cellTitle(from: string, to: string, port: number, observed: Reach, compared: Compared | undefined): string {
  const base = `${from} → ${to} :${port}: ${reachText(observed)}`;
  if (!compared || compared.ignored) return base;
  const said = compared.expected === undefined ? "nothing" : compared.expected ? "allowed" : "blocked";
  return compared.agree ? base : `${base}, but the policies say ${said}`;
}

function MatrixCell(props: { cell: PickedCell; value: Reach; compared: Compared | undefined; picked: boolean; onPick(cell: PickedCell): void }) {
  const { cell, value, compared } = props;
  return (
    <button
      type="button"
      className={`cell ${cellClass(value, compared)} ${props.picked ? "picked" : ""}`}
      title={cellTitle(cell.from, cell.to, cell.port, value, compared)}
      onClick={() => props.onPick(cell)}
      data-testid="matrix-cell"
      data-from={cell.from}
      data-to={cell.to}
      data-mark={mark(value)}
      data-agree={compared && !compared.ignored ? String(compared.agree) : undefined}
    >
      {mark(value)}
    </button>
  );
}

/** Rows are sources, columns destinations, as upstream's truth tables; a cell that disagrees with the policies has a red border. */
export function ReachabilityMatrix(props: { port: ProbePortDTO; picked: PickedCell | null; onPick(cell: PickedCell): void }) {
  const { observed, comparison } = props.port;
  const byPair = new Map<string, Compared>();
  comparison?.froms.forEach((f, i) => comparison.tos.forEach((t, j) => byPair.set(`${f}\n${t}`, comparison.cells[i]![j]!)));
  return (
    <div className="matrix-wrap">
      <table className="matrix" data-testid="matrix" data-port={props.port.port}>
        <thead>
          <tr>
            <th className="corner">from ↓ to →</th>
            {observed.tos.map((t) => (
              <th key={t} className="to">
                <span>{t}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {observed.froms.map((from, i) => (
            <tr key={from}>
              <th className="from">{from}</th>
              {observed.tos.map((to, j) => (
                <td key={to}>
                  <MatrixCell
                    cell={{ from, to, port: props.port.port }}
                    value={observed.cells[i]?.[j]}
                    compared={byPair.get(`${from}\n${to}`)}
                    picked={props.picked?.from === from && props.picked.to === to}
                    onPick={props.onPick}
                  />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** What the marks and borders mean. */
export function MatrixLegend({ compared }: { compared: boolean }) {
  return (
    <div className="legend matrix-legend">
      <span>
        <span className="cell allowed">.</span> connected
      </span>
      <span>
        <span className="cell blocked">X</span> blocked
      </span>
      <span>
        <span className="cell unknown">?</span> not known (not probed, or the kubelet did not answer)
      </span>
      {compared && (
        <>
          <span>
            <span className="cell blocked disagree">X</span> the dataplane disagrees with the policies
          </span>
          <span>
            <span className="cell allowed loopback">.</span> a pod to itself: not compared (as upstream)
          </span>
        </>
      )}
    </div>
  );
}
