import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ago } from "../api";
import type { GroupView } from "../autoscaler";
import { useLive, useNow } from "../live";
import { StatusBadge, useAction } from "../ui";
import { cpuText, durationText, memText, percent } from "../units";

type GroupNode = GroupView["nodes"][number];

/** Ready nodes, nodes still starting, and the rest (failed, cordoned while drained). */
function split(nodes: GroupNode[]): { ready: number; starting: number; other: number } {
  const ready = nodes.filter((n) => n.status === "Ready").length;
  const starting = nodes.filter((n) => n.status === "Provisioning" || n.status === "Recovering").length;
  return { ready, starting, other: nodes.length - ready - starting };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The group's size against its max: Ready nodes and starting ones in their own colours, a tick at min. */
export function GroupBar({ g, compact = false }: { g: GroupView; compact?: boolean }) {
  const { ready, starting, other } = split(g.nodes);
  const slots = Math.max(g.max, g.size, 1);
  const empty = slots - g.size;
  const detail = [`${ready} ready`, starting > 0 && `${starting} starting`, other > 0 && `${other} not Ready`, `min ${g.min}`].filter(Boolean).join(" · ");
  return (
    <div className="group-bar-wrap" data-testid={`group-${g.name}-bar`} data-size={g.size} data-ready={ready} data-max={g.max}>
      <div className="group-bar" title={`${g.size} of max ${g.max} nodes: ${detail}`}>
        {ready > 0 && <div className="bg-Ready" style={{ flex: ready }} />}
        {starting > 0 && <div className="bg-Provisioning starting" style={{ flex: starting }} />}
        {other > 0 && <div className="bg-Suspect" style={{ flex: other }} />}
        {empty > 0 && <div className="slot-empty" style={{ flex: empty }} />}
        {g.min > 0 && <div className="min-tick" style={{ left: percent(g.min, slots) }} />}
      </div>
      <div className="bar-label">
        <b data-testid={`group-${g.name}-size`}>
          {g.size} of max {g.max}
        </b>{" "}
        {compact ? <span className="muted">({ready} ready)</span> : <span className="muted">nodes · {detail}</span>}
      </div>
    </div>
  );
}

/** What the autoscaler last did or decided for the group, and how long ago. */
export function LastActivity({ g, now, testid }: { g: GroupView; now: number; testid?: string }) {
  return (
    <span className="small" data-testid={testid}>
      {g.status.lastActivity ?? <span className="muted">no activity yet</span>}
      {g.status.lastActivityAt !== null && <span className="muted"> · {ago(iso(g.status.lastActivityAt), now)}</span>}
    </span>
  );
}

/** One node group: size against its bounds, template, nodes, unneeded nodes with their countdowns, what the autoscaler did, and the hand controls. */
export function NodeGroupCard({ g, at }: { g: GroupView; at: number }) {
  const now = useNow(250);
  const t = g.template;
  const labels = Object.entries(t.labels).map(([k, v]) => `${k}=${v}`);
  const backoffLeft = g.status.backoffUntil === null ? 0 : g.status.backoffUntil - now;
  return (
    <div className="card group" data-testid={`group-${g.name}`}>
      <div className="node-head">
        <div>
          <span className="node-name">{g.name}</span>
          <div className="muted small">
            {g.priority !== 0 && `priority ${g.priority} · `}
            unneeded after {durationText(g.settings.unneededTimeMs)} below {percent(g.settings.lowWaterMark, 1)} · scale-up after {durationText(g.settings.scaleUpDelayMs)} pending
          </div>
        </div>
        {g.upcoming > 0 && <span className="badge s-Provisioning">scaling up</span>}
        {backoffLeft > 0 && <span className="badge s-Pending">backing off</span>}
      </div>
      <GroupBar g={g} />
      <div className="kv">
        <span>Template</span>
        <span className="small" data-testid={`group-${g.name}-template`}>
          {cpuText(t.capacity.cpuMilli)}, {memText(t.capacity.memoryMiB)}, {t.runtime} nodes
          {labels.length > 0 && <span className="mono"> · {labels.join(", ")}</span>}
        </span>
        <span>Nodes</span>
        <span className="group-nodes" data-testid={`group-${g.name}-nodes`}>
          {g.nodes.length === 0 && <span className="muted small">none</span>}
          {g.nodes.map((n) => (
            <span key={n.name} className="group-node">
              <a className="pod-chip" href={`#/nodes/${encodeURIComponent(n.name)}`}>
                {n.name}
              </a>{" "}
              <StatusBadge status={n.status} />
            </span>
          ))}
        </span>
        {g.unneeded.length > 0 && (
          <>
            <span>Unneeded</span>
            <ul className="unneeded" data-testid={`group-${g.name}-unneeded`}>
              {g.unneeded.map((u) => (
                <Unneeded key={u.node} u={u} unneededTimeMs={g.settings.unneededTimeMs} elapsed={u.forMs + (now - at)} />
              ))}
            </ul>
          </>
        )}
        {backoffLeft > 0 && (
          <>
            <span>Backoff</span>
            <span className="small" data-testid={`group-${g.name}-backoff`}>
              no scale-up for another {durationText(backoffLeft)}
            </span>
          </>
        )}
        <span>Last activity</span>
        <LastActivity g={g} now={now} testid={`group-${g.name}-activity`} />
        <span>Scaled</span>
        <span className="small muted">
          up {ago(iso(g.status.lastScaleUpAt), now)} · down {ago(iso(g.status.lastScaleDownAt), now)}
        </span>
      </div>
      <GroupControls g={g} />
    </div>
  );
}

/** How long the node has been unneeded and when it goes, or, once due, why it stays. */
function Unneeded({ u, unneededTimeMs, elapsed }: { u: GroupView["unneeded"][number]; unneededTimeMs: number; elapsed: number }) {
  const left = unneededTimeMs - elapsed;
  return (
    <li className="small" data-testid={`unneeded-${u.node}`}>
      <a href={`#/nodes/${encodeURIComponent(u.node)}`}>{u.node}</a> unneeded for {durationText(Math.max(0, elapsed))}
      {left > 0 ? (
        <span className="muted"> · removable in {durationText(left)}</span>
      ) : u.reason ? (
        <span className="warn-text"> · stays: {u.reason}</span>
      ) : (
        <span className="muted"> · due: removed on the next pass if its pods fit elsewhere</span>
      )}
    </li>
  );
}

/** Set the size by hand (the API keeps it within min..max and says so), or delete the group with its nodes. */
function GroupControls({ g }: { g: GroupView }) {
  const { client } = useLive();
  const qc = useQueryClient();
  const action = useAction();
  // The input follows the group's size until it is edited, and again once the edit is applied.
  const [draft, setDraft] = useState<string | null>(null);
  const size = draft ?? String(g.size);
  const id = `group-${g.name}`;
  const done = () => qc.invalidateQueries({ queryKey: ["autoscaler"] });
  const scale = (e: React.FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await client.nodeGroups.scale.mutate({ name: g.name, size: Number(size) });
      setDraft(null);
      await done();
    });
  };
  const remove = () => {
    const what = g.size === 1 ? "its node" : `its ${g.size} nodes`;
    if (!window.confirm(`Delete node group ${g.name} and ${what}? Their pods are rescheduled first.`)) return;
    void action.run(async () => (await client.nodeGroups.delete.mutate({ name: g.name }), done()));
  };
  return (
    <>
      <form className="node-actions" onSubmit={scale}>
        <label className="inline-field small">
          Size
          <input type="number" min={g.min} max={g.max} step={1} value={size} onChange={(e) => setDraft(e.target.value)} className="size-input" data-testid={`${id}-size-input`} />
        </label>
        <button className="small-btn" disabled={action.busy} data-testid={`${id}-scale`}>
          Scale
        </button>
        <span className="spacer" />
        <button type="button" className="danger small-btn" disabled={action.busy} onClick={remove} data-testid={`${id}-delete`}>
          Delete
        </button>
      </form>
      {action.error && (
        <div className="error small" data-testid={`${id}-error`}>
          {action.error}
        </div>
      )}
    </>
  );
}
