import { formatMemoryQuantity } from "@kube9/client";
import { formatDuration } from "../duration.js";
import type { NodeGroupDTO } from "../types.js";
import { formatClock } from "./events.js";
import { formatAge, formatAgeMs, formatCores, formatLabels } from "./format.js";
import { indent, renderFields, renderTable } from "./table.js";

// Node groups as `kube9 nodegroup list|get` print them. The API keeps times in epoch ms and durations in
// ms; people read ages ("12s"), clock times for deadlines, and durations as the manifest writes them ("30s").

/** The label every node of a group carries (set by Kube-9; a template may not set it). */
export const NODE_GROUP_LABEL = "kube9.io/nodegroup";

/** Printed instead of an empty groups table. */
export const NO_GROUPS = "No node groups. Create one with: kube9 nodegroup create <name> --min 0 --max 4 --cpu 2";

export const NODE_GROUP_HEADERS = ["NAME", "MIN", "SIZE", "MAX", "TEMPLATE", "LAST ACTIVITY"];

/** Longest last-activity text in the list; `nodegroup get` and `autoscaler status` show all of it. */
export const ACTIVITY_WIDTH = 60;

/** "1 core", "2 cores", "0.5 cores". */
export function formatCoreCount(milli: number): string {
  return `${formatCores(milli)} ${milli === 1000 ? "core" : "cores"}`;
}

/** What every node of the group is: "2 cores, 4Gi, process". */
export function formatTemplate(t: NodeGroupDTO["template"]): string {
  return `${formatCoreCount(t.capacity.cpuMilli)}, ${formatMemoryQuantity(t.capacity.memoryMiB)}, ${t.runtime}`;
}

/** Cuts text to `width` characters, ending in "..." when cut, so a table row stays on one line. */
export function truncate(text: string, width: number): string {
  return text.length <= width ? text : text.slice(0, Math.max(0, width - 3)) + "...";
}

/** The last activity as "12s ago: <what>", truncated to `width`; "-" when the autoscaler has not acted yet. */
export function formatActivity(status: NodeGroupDTO["status"], now = Date.now(), width = Infinity): string {
  if (status.lastActivity === null) return "-";
  return `${formatAgeMs(status.lastActivityAt, now)} ago: ${truncate(status.lastActivity, width)}`;
}

/** One group as `nodegroup list` cells; SIZE is ready/size, as kubectl's READY column counts. */
export function nodeGroupRow(g: NodeGroupDTO, now = Date.now()): string[] {
  return [g.name, String(g.min), `${g.ready}/${g.size}`, String(g.max), formatTemplate(g.template), formatActivity(g.status, now, ACTIVITY_WIDTH)];
}

/** The `nodegroup list` table, by name; undefined when there are no groups. */
export function renderNodeGroups(groups: readonly NodeGroupDTO[], now = Date.now()): string | undefined {
  if (groups.length === 0) return undefined;
  return renderTable(NODE_GROUP_HEADERS, [...groups].sort((a, b) => a.name.localeCompare(b.name)).map((g) => nodeGroupRow(g, now)));
}

/** A ratio as it was given and as a share: "0.8 (80%)". */
function ratio(r: number): string {
  return `${r} (${Math.round(r * 100)}%)`;
}

/** What each load metric means, in words (its keys are every metric the API knows). */
export const LOAD_METRIC_WORDS: Record<NodeGroupDTO["settings"]["loadMetric"], string> = {
  usage: "measured usage",
  allocation: "requests",
  both: "measured usage or requests, whichever is higher",
};

/** The settings in words, grouped as the autoscaler uses them. */
function settingsFields(s: NodeGroupDTO["settings"]): [string, string][] {
  const load =
    s.highWaterMark === 0
      ? "off (high-water mark 0)"
      : `above ${ratio(s.highWaterMark)} for ${formatDuration(s.highDurationMs)} adds a node; cooldown ${formatDuration(s.scaleUpCooldownMs)}`;
  const n = s.maxScaleDownParallel;
  return [
    ["Scale-up delay", `${formatDuration(s.scaleUpDelayMs)}: a pod unschedulable this long adds nodes`],
    ["Load scale-up", load],
    ["Load metric", `${s.loadMetric}: ${LOAD_METRIC_WORDS[s.loadMetric]}`],
    ["Low-water mark", `${ratio(s.lowWaterMark)}: a node below it is unneeded`],
    ["Unneeded time", `${formatDuration(s.unneededTimeMs)}: a node unneeded this long is removed`],
    ["Scale-down delay", `${formatDuration(s.scaleDownDelayAfterAddMs)} after a scale-up; ${n} node${n === 1 ? "" : "s"} at a time`],
    ["Node ready timeout", `${formatDuration(s.nodeReadyTimeoutMs)}: a new node not Ready by then is removed`],
    ["Backoff", `${formatDuration(s.backoffMs)} after a failed scale-up, doubling up to 5m`],
  ];
}

/** "none", or when a backed-off group may grow again: "until 12:00:30 (20s backoff)". */
export function formatBackoff(status: NodeGroupDTO["status"], now = Date.now()): string {
  if (status.backoffUntil === null || status.backoffUntil <= now) return "none";
  const length = status.backoffMs !== null ? ` (${formatDuration(status.backoffMs)} backoff)` : "";
  return `until ${formatClock(new Date(status.backoffUntil).toISOString())}${length}`;
}

/** When something happened, for describe: "12s ago", or "never". */
function when(at: number | null, now: number): string {
  return at === null ? "never" : `${formatAgeMs(at, now)} ago`;
}

/** The `nodegroup get` describe view: spec, settings, nodes with their status, what the autoscaler last did. */
export function renderNodeGroupDetail(g: NodeGroupDTO, now = Date.now()): string {
  const created = new Date(g.createdAt).toISOString();
  const spec = renderFields([
    ["Name", g.name],
    ["Size", `${g.size} (${g.ready} Ready), min ${g.min}, max ${g.max}`],
    ["Priority", String(g.priority)],
    ["Template", formatTemplate(g.template)],
    ["Labels", `${formatLabels(g.template.labels)} (and ${NODE_GROUP_LABEL}=${g.name} on every node)`],
    ["Created", `${created} (${formatAge(created, now)} ago)`],
  ]);
  const nodes = g.nodes.length ? "\n" + indent(renderTable(["NAME", "STATUS"], g.nodes.map((n) => [n.name, n.status]))) : "  <none>";
  const st = g.status;
  const status = renderFields([
    ["Last activity", st.lastActivity === null ? "<none>" : `${st.lastActivity} (${when(st.lastActivityAt, now)})`],
    ["Last scale-up", when(st.lastScaleUpAt, now)],
    ["Last scale-down", when(st.lastScaleDownAt, now)],
    ["Backoff", formatBackoff(st, now)],
  ]);
  return [spec, `Settings:\n${indent(renderFields(settingsFields(g.settings)))}`, `Nodes (${g.nodes.length}):${nodes}`, `Status:\n${indent(status)}`].join("\n");
}
