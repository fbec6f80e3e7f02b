import type { NodeDetail, NodeDTO } from "../types.js";
import { dash, formatAge, formatCores, formatCpuPair, formatLabels, formatPercent } from "./format.js";
import { indent, renderFields, renderTable } from "./table.js";
import { renderPodTable } from "./pods.js";
import { renderEventTable } from "./events.js";

/** The `node list` table; wide adds ID, RUNTIME, CONTAINER and LABELS. */
export function renderNodeTable(nodes: readonly NodeDTO[], wide: boolean, now = Date.now()): string {
  return renderTable(nodeHeaders(wide), nodes.map((n) => nodeRow(n, wide, now)));
}

/** Column headers of the node table (also used by `node list -w`). */
export function nodeHeaders(wide: boolean): string[] {
  const headers = ["NAME", "STATUS", "ROLE", "CPU", "MEMORY", "PODS", "AGE"];
  if (wide) headers.push("ID", "RUNTIME", "CONTAINER", "LABELS");
  return headers;
}

/** One node as table cells. */
export function nodeRow(n: NodeDTO, wide: boolean, now = Date.now()): string[] {
  const row = [
    n.name,
    n.status,
    n.role,
    formatCpuPair(n.allocated.cpuMilli, n.capacity.cpuMilli),
    `${n.allocated.memoryMiB}/${n.capacity.memoryMiB}`,
    String(n.podIds.length),
    // AGE here is the age of the last heartbeat: the number that tells you a node is going quiet.
    formatAge(n.lastHeartbeatAt, now),
  ];
  if (wide) row.push(n.id, n.runtime, dash(n.containerId), formatLabels(n.labels));
  return row;
}

/** The one-line summary printed by `node add` and friends: `node/a (id) Ready: 4 CPU, 16384 MiB`. */
export function nodeSummary(n: NodeDTO): string {
  return `node/${n.name} (${n.id}) ${n.status}: ${formatCores(n.capacity.cpuMilli)} CPU, ${n.capacity.memoryMiB} MiB`;
}

/** The `node get` describe view: fields, components, hosted pods, recent events. */
export function renderNodeDetail(d: NodeDetail, wide: boolean, now = Date.now()): string {
  const n = d.node;
  const fields: [string, string][] = [
    ["Name", n.name],
    ["ID", n.id],
    ["Role", n.role],
    ["Status", n.status + (n.reason ? ` (${n.reason})` : "")],
    ["Runtime", n.runtime],
    ["Container", dash(n.containerId)],
    ["Labels", formatLabels(n.labels)],
    ["Capacity", `${formatCores(n.capacity.cpuMilli)} CPU, ${n.capacity.memoryMiB} MiB`],
    [
      "Allocated",
      `${formatCores(n.allocated.cpuMilli)} CPU (${formatPercent(n.allocated.cpuMilli, n.capacity.cpuMilli)}), ` +
        `${n.allocated.memoryMiB} MiB (${formatPercent(n.allocated.memoryMiB, n.capacity.memoryMiB)})`,
    ],
    ["Usage", n.usage ? `${formatCores(n.usage.cpuMilli)} CPU, ${n.usage.memoryMiB} MiB` : "-"],
    ["Last heartbeat", n.lastHeartbeatAt ? `${formatAge(n.lastHeartbeatAt, now)} ago (${n.lastHeartbeatAt})` : "never"],
    ["Recovery attempts", String(n.recoveryAttempts)],
    ["Created", `${n.createdAt} (${formatAge(n.createdAt, now)} ago)`],
  ];
  const parts = [renderFields(fields)];
  const components = Object.entries(n.components ?? {});
  parts.push(
    "Components:" +
      (components.length
        ? "\n" + indent(renderTable(["COMPONENT", "STATUS"], components.map(([k, v]) => [k, v])))
        : " <none reported yet>"),
  );
  parts.push(`Pods (${d.pods.length}):` + (d.pods.length ? "\n" + indent(renderPodTable(d.pods, false, now)) : " <none>"));
  // Describe shows the tail; wide shows everything the API returned.
  const events = wide ? d.events : d.events.slice(-20);
  parts.push("Events:" + (events.length ? "\n" + indent(renderEventTable(events, false)) : " <none>"));
  return parts.join("\n");
}
