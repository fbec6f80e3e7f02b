import type { AlertDTO } from "../api";
import { AlertObject, alertKey, useAlerts } from "../alerts";
import { useNow } from "../live";
import { Empty, TableHead } from "../ui";
import { sinceText } from "../units";
import { AlertRules } from "./alert-rules";

/** When the alert entered the state it is in: resolved, fired, or started pending. */
function since(a: AlertDTO): number {
  return a.state === "resolved" ? (a.resolvedAt ?? a.activeAt) : a.state === "firing" ? (a.firedAt ?? a.activeAt) : a.activeAt;
}

/** Alerts now (firing, pending, then resolved in the last 15 minutes) and the rules that make them. */
export function AlertsPage() {
  const q = useAlerts();
  const now = useNow(1000);
  const alerts = q.data ?? [];
  return (
    <div className="page">
      <h1>Alerts</h1>
      {alerts.length === 0 ? (
        <Empty>{q.isLoading ? "Loading…" : "No alerts: nothing is pending or firing, and nothing resolved in the last 15 minutes."}</Empty>
      ) : (
        <div className="card table-card">
          <table className="table" data-testid="alerts">
            <TableHead columns={["State", "Severity", "Alert", "Object", "Since", "Summary"]} />
            <tbody>
              {alerts.map((a) => (
                <tr key={alertKey(a)} data-testid={`alert-${a.name}`} data-state={a.state}>
                  <td>
                    <span className={`badge s-${a.state}`}>{a.state}</span>
                  </td>
                  <td>
                    <span className={`sev ${a.severity ?? ""}`}>{a.severity ?? "—"}</span>
                  </td>
                  <td className="mono small">{a.name}</td>
                  <td>
                    <AlertObject a={a} />
                  </td>
                  <td className="small">{sinceText(since(a), now)}</td>
                  <td>
                    {a.annotations.summary ?? ""}
                    {a.annotations.description && <div className="muted small">{a.annotations.description}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <AlertRules />
    </div>
  );
}
