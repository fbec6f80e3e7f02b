import type { LaunchResult, NodeFitDTO, PodDetail, PodDTO } from "../types.js";
import { dash, formatAge, formatCores, formatLabels } from "./format.js";
import { indent, renderFields, renderTable } from "./table.js";
import { renderEventTable } from "./events.js";

/** The `pod list` table; wide adds ID, ALGORITHM and REASON. */
export function renderPodTable(pods: readonly PodDTO[], wide: boolean, now = Date.now()): string {
  return renderTable(podHeaders(wide), pods.map((p) => podRow(p, wide, now)));
}

/** Column headers of the pod table (also used by `pod list -w`). */
export function podHeaders(wide: boolean): string[] {
  const headers = ["NAME", "STATUS", "NODE", "CPU", "MEMORY", "AGE"];
  if (wide) headers.push("ID", "ALGORITHM", "REASON");
  return headers;
}

/** One pod as table cells. */
export function podRow(p: PodDTO, wide: boolean, now = Date.now()): string[] {
  const row = [
    p.name,
    p.status,
    dash(p.nodeName),
    formatCores(p.request.cpuMilli),
    String(p.request.memoryMiB),
    formatAge(p.createdAt, now),
  ];
  if (wide) row.push(p.id, dash(p.algorithm), dash(p.reason));
  return row;
}

/** Free capacity left after placing the pod, as "1.5 CPU, 3072 MiB"; "-" when the node is infeasible. */
function freeAfter(f: NodeFitDTO): string {
  if (f.freeCpuAfter === null || f.freeMemoryAfter === null) return "-";
  return `${formatCores(f.freeCpuAfter)} CPU, ${f.freeMemoryAfter} MiB`;
}

/** The scheduling explanation: every node, whether it fits, which one was chosen and why not the others. */
export function renderFitTable(fits: readonly NodeFitDTO[]): string {
  return renderTable(
    ["NODE", "FEASIBLE", "CHOSEN", "FREE AFTER", "REASONS"],
    fits.map((f) => [
      f.nodeName,
      f.feasible ? "yes" : "no",
      f.chosen ? "*" : "",
      freeAfter(f),
      f.reasons.length ? f.reasons.join("; ") : "-",
    ]),
  );
}

/** The `pod get` describe view with its scheduling explanation. */
export function renderPodDetail(d: PodDetail, wide: boolean, now = Date.now()): string {
  const p = d.pod;
  const fields: [string, string][] = [
    ["Name", p.name],
    ["ID", p.id],
    ["Status", p.status + (p.reason ? ` (${p.reason})` : "")],
    ["Node", p.nodeName ? `${p.nodeName} (${p.nodeId})` : "-"],
    ["Request", `${formatCores(p.request.cpuMilli)} CPU, ${p.request.memoryMiB} MiB`],
    ["Algorithm", dash(p.algorithm)],
    ["Labels", formatLabels(p.labels)],
    ["Node selector", formatLabels(p.nodeSelector)],
    ["Message", dash(p.message)],
    ["Restarts", String(p.restarts)],
    ["Created", `${p.createdAt} (${formatAge(p.createdAt, now)} ago)`],
    ["Scheduled", dash(p.scheduledAt)],
    ["Started", dash(p.startedAt)],
  ];
  const parts = [renderFields(fields)];
  // The policy named is the one the explanation was computed with (the pod's own, else the cluster's).
  parts.push(`Scheduling (${d.policy}):` + (d.fits.length ? "\n" + indent(renderFitTable(d.fits)) : " <no nodes>"));
  const events = wide ? d.events : d.events.slice(-20);
  parts.push("Events:" + (events.length ? "\n" + indent(renderEventTable(events, false)) : " <none>"));
  return parts.join("\n");
}

/** The launch outcome in words: where it went and why, or why it is still Pending. */
export function launchSummary(res: LaunchResult): string {
  const p = res.pod;
  const head = `pod/${p.name} (${p.id})`;
  if (res.scheduled && p.nodeName) return `${head} scheduled on node/${p.nodeName}: ${res.message}`;
  // Pending is a valid outcome (the pod waits for capacity), so it is reported, not treated as an error.
  return `${head} is ${p.status}: ${res.message}`;
}
