import { useEffect, useState } from "react";
import { POLICIES, TOKEN_KEY, type HealthConfig, type Policy } from "../api";
import { useClusterStatus, useLive } from "../live";
import { useAction } from "../ui";

const HEALTH_FIELDS: Array<[keyof HealthConfig, string, string]> = [
  ["heartbeatIntervalMs", "Heartbeat interval", "ms; agents learn it from their next heartbeat answer"],
  ["suspectAfterMs", "Suspect after", "ms without a heartbeat"],
  ["failedAfterMs", "Failed after", "ms without a heartbeat; pods are rescheduled then"],
  ["maxRecoveryAttempts", "Recovery attempts", "restarts before PermanentlyFailed"],
  ["recoveryTimeoutMs", "Recovery timeout", "ms for a restarted agent to report"],
  ["provisioningTimeoutMs", "Provisioning timeout", "ms for a new node's agent to register"],
  ["recoveryResetAfterMs", "Reset recovery count after", "ms of steady health"],
];

export function SettingsPage() {
  const { client, logout } = useLive();
  const status = useClusterStatus();
  const [algorithm, setAlgorithm] = useState<Policy | "">("");
  const [health, setHealth] = useState<Record<string, string>>({});
  const algo = useAction();
  const hc = useAction();
  const [saved, setSaved] = useState("");
  useEffect(() => {
    if (!status.data) return;
    setAlgorithm(status.data.algorithm);
    setHealth(Object.fromEntries(Object.entries(status.data.health).map(([k, v]) => [k, String(v)])));
  }, [status.data]);
  const token = localStorage.getItem(TOKEN_KEY) ?? "";
  return (
    <div className="page">
      <h1>Settings</h1>
      <div className="grid2">
        <form
          className="card form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!algorithm) return;
            void algo.run(async () => {
              const r = await client.cluster.setAlgorithm.mutate({ algorithm });
              setSaved(`Algorithm: ${r.previous} → ${r.algorithm}`);
              await status.refetch();
            });
          }}
        >
          <h2>Scheduling algorithm</h2>
          <p className="muted">The default for pods launched without one.</p>
          {POLICIES.map((p) => (
            <label key={p} className="radio">
              <input type="radio" name="algorithm" checked={algorithm === p} onChange={() => setAlgorithm(p)} data-testid={`algo-${p}`} />
              <b>{p}</b> <span className="muted">{POLICY_HELP[p]}</span>
            </label>
          ))}
          <div className="actions">
            <button disabled={algo.busy} data-testid="save-algorithm">
              Save algorithm
            </button>
            {algo.error && <span className="error">{algo.error}</span>}
          </div>
        </form>
        <div className="card">
          <h2>Cluster</h2>
          <div className="kv">
            <span>Cluster id</span>
            <span className="mono small">{status.data?.clusterId}</span>
            <span>Default runtime</span>
            <span>{status.data?.runtime}</span>
            <span>Database</span>
            <span>{status.data?.database}</span>
            <span>Token</span>
            <span className="mono small">{token.slice(0, 8)}…</span>
          </div>
          <p>
            <a href="/docs" target="_blank" rel="noreferrer">
              API documentation
            </a>{" "}
            ·{" "}
            <a href="/metrics" target="_blank" rel="noreferrer">
              Prometheus metrics
            </a>
          </p>
          <button className="secondary" onClick={logout}>
            Forget token (sign out)
          </button>
        </div>
      </div>
      <form
        className="card form"
        onSubmit={(e) => {
          e.preventDefault();
          void hc.run(async () => {
            const patch = Object.fromEntries(HEALTH_FIELDS.map(([k]) => [k, Number(health[k])]));
            await client.cluster.setHealth.mutate(patch);
            setSaved("Health timings saved");
            await status.refetch();
          });
        }}
      >
        <h2>Health timings</h2>
        <div className="fields">
          {HEALTH_FIELDS.map(([k, label, help]) => (
            <label key={k}>
              {label}
              <input value={health[k] ?? ""} onChange={(e) => setHealth({ ...health, [k]: e.target.value })} inputMode="numeric" data-testid={`health-${k}`} />
              <span className="muted small">{help}</span>
            </label>
          ))}
        </div>
        <div className="actions">
          <button disabled={hc.busy} data-testid="save-health">
            Save health timings
          </button>
          {hc.error && <span className="error">{hc.error}</span>}
        </div>
      </form>
      {saved && <div className="toast">{saved}</div>}
    </div>
  );
}

const POLICY_HELP: Record<Policy, string> = {
  "first-fit": "the first node (in registration order) that fits",
  "best-fit": "the node left with the least free CPU (packs nodes)",
  "worst-fit": "the node left with the most free CPU (spreads load)",
};
