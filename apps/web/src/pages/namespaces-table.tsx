import type { NamespaceDTO } from "../api";
import { Chips, StatusBadge, TableCard } from "../ui";

/** Namespaces with their labels (what namespaceSelectors match), pods, policies and status. */
export function NamespacesTable({ namespaces, error }: { namespaces: NamespaceDTO[] | undefined; error: string | undefined }) {
  return (
    <TableCard title="Namespaces" columns={["Name", "Labels", "Pods", "Policies", "Status"]} testid="namespaces" error={error} empty={!namespaces && !error ? <span className="muted">Loading…</span> : undefined}>
      {(namespaces ?? []).map((n) => (
        <tr key={n.name} data-testid={`namespace-${n.name}`}>
          <td className="mono">{n.name}</td>
          <td>
            <Chips items={Object.entries(n.labels).map(([k, v]) => `${k}=${v}`)} />
          </td>
          <td data-testid="namespace-pods">{n.pods}</td>
          <td data-testid="namespace-policies">{n.networkPolicies}</td>
          <td>
            <StatusBadge status={n.status} />
          </td>
        </tr>
      ))}
    </TableCard>
  );
}
