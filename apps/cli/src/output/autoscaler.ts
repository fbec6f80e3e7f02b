import type { AutoscalerGroupDTO, AutoscalerStatusDTO } from "../types.js";
import { formatClock } from "./events.js";
import { dash, formatAgeMs } from "./format.js";
import { NO_GROUPS } from "./nodegroups.js";
import { indent, renderFields, renderTable } from "./table.js";

// `kube9 autoscaler status`: what cluster-autoscaler's status ConfigMap says, as a table per group and the
// nodes it is thinking of removing, with why each one that is due still stays.

export const AUTOSCALER_GROUP_HEADERS = ["NAME", "MIN", "SIZE", "READY", "MAX", "UPCOMING", "LAST ACTIVITY", "BACKOFF"];
export const UNNEEDED_HEADERS = ["NODE", "GROUP", "UNNEEDED FOR", "KEPT BECAUSE"];

/** One group as cells: sizes, nodes still starting, how long ago it last acted, and its backoff deadline if any. */
export function autoscalerGroupRow(g: AutoscalerGroupDTO, now = Date.now()): string[] {
  const until = g.status.backoffUntil;
  return [
    g.name,
    String(g.min),
    String(g.size),
    String(g.ready),
    String(g.max),
    String(g.upcoming),
    formatAgeMs(g.status.lastActivityAt, now),
    until !== null && until > now ? `until ${formatClock(new Date(until).toISOString())}` : "-",
  ];
}

/** Every unneeded node of every group as cells; a node still waiting out its unneeded time has no reason yet ("-"). */
export function unneededRows(groups: readonly AutoscalerGroupDTO[], now = Date.now()): string[][] {
  return groups.flatMap((g) => g.unneeded.map((u) => [u.node, g.name, formatAgeMs(now - u.forMs, now), dash(u.reason)]));
}

/** The whole `autoscaler status` view. */
export function renderAutoscalerStatus(s: AutoscalerStatusDTO, now = Date.now()): string {
  const groups = [...s.groups].sort((a, b) => a.name.localeCompare(b.name));
  const head = renderFields([
    ["Expander", s.expander],
    ["Unschedulable pods", String(s.unschedulablePods)],
    ["Last scale-up plan", s.lastPlan ?? "<none>"],
  ]);
  if (groups.length === 0) return `${head}\n\n${NO_GROUPS}`;
  const table = renderTable(AUTOSCALER_GROUP_HEADERS, groups.map((g) => autoscalerGroupRow(g, now)));
  const acted = groups.filter((g) => g.status.lastActivity !== null);
  const activity = acted.length
    ? "Last activity:\n" + indent(acted.map((g) => `${g.name}: ${g.status.lastActivity} (${formatAgeMs(g.status.lastActivityAt, now)} ago)`).join("\n"))
    : "Last activity:  <none>";
  const rows = unneededRows(groups, now);
  const unneeded = rows.length ? "Unneeded nodes:\n" + indent(renderTable(UNNEEDED_HEADERS, rows)) : "Unneeded nodes:  <none>";
  return [head, "", table, "", activity, unneeded].join("\n");
}
