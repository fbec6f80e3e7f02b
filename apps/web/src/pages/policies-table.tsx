import { useState } from "react";
import { stringify } from "yaml";
import type { NetworkPolicyDTO } from "../api";
import { usePods } from "../live";
import { policyEnforcement } from "../netpol";
import { Chips, Empty, TableCard } from "../ui";

const key = (p: NetworkPolicyDTO) => `${p.namespace}/${p.name}`;

/** Network policies with what they select now and whether that is enforced; a click shows the policy's manifest. */
export function PoliciesTable({ policies, error }: { policies: NetworkPolicyDTO[] | undefined; error: string | undefined }) {
  const [open, setOpen] = useState<string | null>(null);
  const shown = policies?.find((p) => key(p) === open);
  return (
    <>
      <TableCard
        title="Policies"
        columns={["Policy", "Pod selector", "Types", "Selected pods", "Generation", "Enforcement"]}
        testid="policies"
        className="policies"
        error={error}
        empty={policies?.length === 0 && <Empty>No network policies: every pod accepts connections from every pod. Apply one with kube9 apply -f.</Empty>}
      >
        {(policies ?? []).map((p) => (
          <PolicyRow key={key(p)} p={p} chosen={key(p) === open} onPick={() => setOpen(key(p) === open ? null : key(p))} />
        ))}
      </TableCard>
      {shown && <PolicyManifest p={shown} onClose={() => setOpen(null)} />}
    </>
  );
}

function PolicyRow({ p, chosen, onPick }: { p: NetworkPolicyDTO; chosen: boolean; onPick(): void }) {
  return (
    <tr className={chosen ? "chosen" : ""} data-testid={`policy-${p.namespace}-${p.name}`}>
      <td>
        <button type="button" className="link-button mono" onClick={onPick} data-testid="policy-open">
          {p.namespace}/{p.name}
        </button>
      </td>
      <td className="mono small">{p.podSelector}</td>
      <td className="small">{p.policyTypes.join(", ")}</td>
      <td data-testid="policy-selected">
        <Chips items={p.selectedPods} />
      </td>
      <td>{p.generation}</td>
      <td data-testid="policy-enforcement">
        <EnforcementCell p={p} />
      </td>
    </tr>
  );
}

/** Says plainly which selected pods are isolated and which are not (their node cannot enforce, or they run nowhere yet). */
function EnforcementCell({ p }: { p: NetworkPolicyDTO }) {
  const e = policyEnforcement(p, usePods());
  return (
    <div className="small enforcement">
      {e.notEnforced.length > 0 && (
        <div data-state="not-enforced">
          <span className="badge s-Failed">not enforced</span>
          <ul className="reasons">
            {e.notEnforced.map((n) => (
              <li key={n.pod}>
                {n.pod} on {n.node}: {n.reason}
              </li>
            ))}
          </ul>
        </div>
      )}
      {e.enforcedOn.length > 0 && (
        <div data-state="enforced">
          <span className={`badge ${e.notEnforced.length > 0 ? "s-Pending" : "s-Ready"}`}>{e.notEnforced.length > 0 ? "enforced for the others" : "enforced"}</span> <span className="muted">on {e.enforcedOn.join(", ")}</span>
        </div>
      )}
      {e.unplaced.length > 0 && <div className="muted">not isolated yet (on no node): {e.unplaced.join(", ")}</div>}
      {p.selectedPods.length === 0 && <span className="muted">selects no pods: isolates nothing</span>}
    </div>
  );
}

function PolicyManifest({ p, onClose }: { p: NetworkPolicyDTO; onClose(): void }) {
  return (
    <div className="card" data-testid="policy-manifest">
      <div className="card-head">
        <h2>
          {p.namespace}/{p.name} <span className="muted small">generation {p.generation}</span>
        </h2>
        <button type="button" className="secondary small-btn" onClick={onClose}>
          Close
        </button>
      </div>
      <pre className="manifest-view" data-testid="policy-yaml">
        {stringify(p.manifest)}
      </pre>
    </div>
  );
}
