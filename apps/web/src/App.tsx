import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import { AlertBanner } from "./alerts";
import { errorMessage, isAuthError, makeClient, TOKEN_KEY } from "./api";
import { LiveProvider, useLive } from "./live";
import { AlertsPage } from "./pages/Alerts";
import { AutoscalingPage } from "./pages/Autoscaling";
import { EventsPage } from "./pages/Events";
import { NetworkPoliciesPage } from "./pages/NetworkPolicies";
import { NodePage } from "./pages/Node";
import { NodesPage } from "./pages/Nodes";
import { OverviewPage } from "./pages/Overview";
import { PodPage } from "./pages/Pod";
import { PodsPage } from "./pages/Pods";
import { SettingsPage } from "./pages/Settings";

/** Hash routes: #/overview, #/nodes, #/nodes/<name>, #/pods, #/pods/<name>, #/events, #/alerts, #/autoscaling, #/network-policies, #/settings. */
function useRoute(): string[] {
  const read = () => (window.location.hash.replace(/^#\/?/, "") || "overview").split("/").map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}

export function App() {
  const [token, setToken] = useState(() => localStorage.getItem(TOKEN_KEY) ?? "");
  const qc = useQueryClient();
  const client = useMemo(() => (token ? makeClient(token) : null), [token]);
  const logout = useCallback(() => {
    localStorage.removeItem(TOKEN_KEY);
    qc.clear();
    setToken("");
  }, [qc]);
  if (!client) {
    return (
      <Login
        onToken={(t) => {
          localStorage.setItem(TOKEN_KEY, t);
          setToken(t);
        }}
      />
    );
  }
  return (
    <LiveProvider client={client} logout={logout}>
      <Shell />
    </LiveProvider>
  );
}

function Login({ onToken }: { onToken(token: string): void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const t = value.trim();
    if (!t) return;
    setBusy(true);
    setError("");
    try {
      await makeClient(t).cluster.status.query();
      onToken(t);
    } catch (err) {
      setError(isAuthError(err) ? "That token was not accepted." : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="login">
      <form className="card login-card" onSubmit={submit} data-testid="login-form">
        <div className="brand big">
          <span className="logo">9</span> Kube-9
        </div>
        <p className="muted">
          Enter the admin token: <code>kube9 up</code> prints it, and it is in <code>~/.kube9/config.json</code> (or <code>$KUBE9_HOME/config.json</code>). It is kept in this
          browser.
        </p>
        <input
          autoFocus
          type="password"
          placeholder="k9a.…"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          data-testid="token-input"
        />
        <button disabled={busy} data-testid="token-submit">
          {busy ? "Checking…" : "Open dashboard"}
        </button>
        {error && <div className="error">{error}</div>}
      </form>
    </div>
  );
}

const NAV = [
  ["overview", "Overview"],
  ["nodes", "Nodes"],
  ["pods", "Pods"],
  ["events", "Events"],
  ["alerts", "Alerts"],
  ["autoscaling", "Autoscaling"],
  ["network-policies", "Network policies"],
  ["settings", "Settings"],
] as const;

function Shell() {
  const route = useRoute();
  const { connected } = useLive();
  const [page, arg] = route;
  return (
    <div className="app">
      <header className="top">
        <a className="brand" href="#/overview">
          <span className="logo">9</span> Kube-9
        </a>
        <nav>
          {NAV.map(([id, label]) => (
            <a key={id} href={`#/${id}`} className={page === id ? "active" : ""} data-testid={`nav-${id}`}>
              {label}
            </a>
          ))}
        </nav>
        <span className="spacer" />
        <span className={`live ${connected ? "on" : "off"}`} title={connected ? "live updates connected" : "reconnecting"}>
          <span className="dot" /> {connected ? "live" : "connecting"}
        </span>
        <a className="toplink" href="/docs" target="_blank" rel="noreferrer">
          API docs
        </a>
      </header>
      <main className="content">
        <AlertBanner />
        {page === "nodes" && !arg && <NodesPage />}
        {page === "nodes" && arg && <NodePage name={arg} />}
        {page === "pods" && !arg && <PodsPage />}
        {page === "pods" && arg && <PodPage name={arg} />}
        {page === "events" && <EventsPage />}
        {page === "alerts" && <AlertsPage />}
        {page === "autoscaling" && <AutoscalingPage />}
        {page === "network-policies" && <NetworkPoliciesPage />}
        {page === "settings" && <SettingsPage />}
        {(page === "overview" || !NAV.some(([id]) => id === page)) && <OverviewPage />}
      </main>
    </div>
  );
}
