import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { Expander } from "../api";
import { EXPANDERS, useAutoscaler } from "../autoscaler";
import { useLive } from "../live";
import { Empty, PageHeadWithForm, useAction } from "../ui";
import { AutoscalerFeed } from "./autoscaler-feed";
import { NodeGroupCard } from "./node-group-card";
import { NodeGroupForm } from "./node-group-form";

/** Node groups and the autoscaler: each group's size and what happened to it, the cluster-wide expander, and the decisions as they come. */
export function AutoscalingPage() {
  const q = useAutoscaler();
  const view = q.data;
  return (
    <div className="page">
      <PageHeadWithForm title="Autoscaling" openLabel="+ Create group" testid="toggle-create-group" form={(close) => <NodeGroupForm onDone={close} />} />
      <div className="card autoscaler-bar">
        <ExpanderSelect current={view?.expander} />
        <div data-testid="unschedulable-pods" data-count={view?.unschedulablePods ?? 0}>
          <div className="stat-label">Unschedulable pods</div>
          <div className="stat-value">{view?.unschedulablePods ?? "…"}</div>
        </div>
        <div className="last-plan">
          <div className="stat-label">Last scale-up plan</div>
          <div className="small" data-testid="last-plan">
            {view?.lastPlan ?? <span className="muted">none since the API started</span>}
          </div>
        </div>
      </div>
      {q.isError && <div className="error">{q.error.message}</div>}
      {view && view.groups.length === 0 && (
        <Empty>
          No node groups. Create one: the autoscaler keeps it between its min and max, adding nodes for pods that cannot be scheduled and removing nodes left idle.
        </Empty>
      )}
      <div className="node-grid groups">
        {view?.groups.map((g) => (
          <NodeGroupCard key={g.name} g={g} at={view.at} />
        ))}
      </div>
      <AutoscalerFeed />
    </div>
  );
}

/** The cluster-wide expander, saved on change; the choice's meaning stays beside it. */
function ExpanderSelect({ current }: { current: Expander | undefined }) {
  const { client } = useLive();
  const qc = useQueryClient();
  const action = useAction();
  const [result, setResult] = useState("");
  const change = (expander: Expander) => {
    setResult("");
    void action.run(async () => {
      const r = await client.autoscaler.setExpander.mutate({ expander });
      await qc.invalidateQueries({ queryKey: ["autoscaler"] });
      setResult(`${r.previous} → ${r.expander}`);
    });
  };
  const meaning = EXPANDERS.find(([e]) => e === current)?.[1];
  return (
    <div className="expander">
      <label className="stat-label" htmlFor="expander-select">
        Expander (which group grows)
      </label>
      <div className="inline-field">
        <select id="expander-select" value={current ?? ""} disabled={!current || action.busy} onChange={(e) => change(e.target.value as Expander)} data-testid="expander-select">
          {EXPANDERS.map(([e]) => (
            <option key={e} value={e}>
              {e}
            </option>
          ))}
        </select>
        {result && <span className="muted small">{result}</span>}
      </div>
      <div className="muted small">{meaning}</div>
      {action.error && <div className="error small">{action.error}</div>}
    </div>
  );
}
