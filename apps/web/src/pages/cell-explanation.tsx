import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useLive } from "../live";
import { podRef } from "../netpol";
import { mark, reachClass, reachText, type PickedCell, type Reach } from "./reachability-matrix";

/**
 * Why the policies allow or block the chosen cell (`kube9 net explain`), beside what the dataplane did. Asked again
 * with each new matrix (`asOf`), so the explanation and the cell it explains are of the same moment.
 */
export function CellExplanation({ cell, observed, asOf, onClose }: { cell: PickedCell; observed: Reach; asOf: number; onClose(): void }) {
  const { client } = useLive();
  const q = useQuery({
    queryKey: ["net-explain", cell.from, cell.to, cell.port, asOf],
    queryFn: () => client.net.explain.query({ from: podRef(cell.from), to: podRef(cell.to), port: cell.port }),
    placeholderData: keepPreviousData,
  });
  const said = q.data?.verdict.allowed;
  const disagree = said !== undefined && observed != null && said !== observed && cell.from !== cell.to;
  return (
    <div className="card explanation" data-testid="explanation">
      <div className="card-head">
        <h2>
          {cell.from} → {cell.to} <span className="muted small">port {cell.port}/TCP</span>
        </h2>
        <button type="button" className="secondary small-btn" onClick={onClose}>
          Close
        </button>
      </div>
      <div className="kv">
        <span>dataplane</span>
        <span data-testid="explanation-observed">
          <span className={`cell inline ${reachClass(observed)}`}>{mark(observed)}</span> {reachText(observed)}
        </span>
        <span>policies</span>
        <span>{said === undefined ? "…" : said ? "allow" : "block"}</span>
      </div>
      {disagree && <div className="error" data-testid="explanation-disagree">The dataplane disagrees with the policies here.</div>}
      {q.isError && <div className="error">{q.error.message}</div>}
      <pre className="explain-text" data-testid="explanation-text">
        {q.data?.text ?? "Loading…"}
      </pre>
    </div>
  );
}
