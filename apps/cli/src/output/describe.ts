import {
  formatCpuQuantity,
  formatMemoryQuantity,
  type ContainerSpec,
  type ContainerState,
  type ContainerStatus,
  type LimitEnforcement,
  type ProbeSpec,
} from "@kube9/client";
import type { EventDTO, NodeDetail, PodDetail, PodDTO } from "../types.js";
import { formatLabels, formatPercent } from "./format.js";
import { renderEventTable } from "./events.js";
import { podPhaseOf, qosClass } from "./kube-objects.js";
import { nodeRoles, nodeStatusText } from "./kubectl.js";
import { renderFitTable } from "./pods.js";
import { indent, renderFields, renderTable } from "./table.js";

// `kube9 describe pod|node`: kubectl's section layout, plus what only Kube-9 knows (how each limit is
// enforced on the node, and the scheduler's verdict on every node).

type Field = [string, string];

/** A titled section: "Title:" then its body indented, or "Title:  <none>" when there is nothing. */
function section(title: string, body: string | undefined, none = "<none>"): string {
  return body ? `${title}:\n${indent(body)}` : `${title}:  ${none}`;
}

/** A probe as kubectl prints it: "http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3". */
export function describeProbe(p: ProbeSpec): string {
  let handler = "unknown";
  if (p.exec) handler = `exec [${p.exec.command.join(" ")}]`;
  else if (p.httpGet) handler = `http-get ${p.httpGet.scheme.toLowerCase()}://${p.httpGet.host ?? ""}:${p.httpGet.port}${p.httpGet.path}`;
  else if (p.tcpSocket) handler = `tcp-socket ${p.tcpSocket.host ?? ""}:${p.tcpSocket.port}`;
  return (
    `${handler} delay=${p.initialDelaySeconds}s timeout=${p.timeoutSeconds}s period=${p.periodSeconds}s ` +
    `#success=${p.successThreshold} #failure=${p.failureThreshold}`
  );
}

/** A container state as kubectl's "State:" line and the indented detail fields below it. */
export function describeState(state: ContainerState | Record<string, never> | undefined): [string, Field[]] {
  if (!state || Object.keys(state).length === 0) return ["<none>", []];
  if ("running" in state) return ["Running", [["Started", state.running.startedAt]]];
  if ("waiting" in state) {
    const w = state.waiting;
    return ["Waiting", [["Reason", w.reason], ...(w.message ? [["Message", w.message] as Field] : [])]];
  }
  if (!("terminated" in state)) return ["<none>", []];
  const t = state.terminated;
  const fields: Field[] = [["Reason", t.reason]];
  if (t.message) fields.push(["Message", t.message]);
  fields.push(["Exit Code", String(t.exitCode)]);
  if (t.signal !== undefined) fields.push(["Signal", String(t.signal)]);
  if (t.startedAt) fields.push(["Started", t.startedAt]);
  fields.push(["Finished", t.finishedAt]);
  return ["Terminated", fields];
}

/** How a limit is held on its node, in words; undefined until the node reports it. */
export function enforcementText(how: LimitEnforcement["cpu"] | LimitEnforcement["memory"] | undefined): string | undefined {
  switch (how) {
    case undefined:
      return undefined;
    case "cgroup-v1":
      return "enforced by cgroup v1";
    case "cgroup-v2":
      return "enforced by cgroup v2";
    case "agent":
      return "enforced by the node agent (kills the container over its limit)";
    default:
      return "not enforced on this node";
  }
}

/** Limits (with how each is enforced) or requests, as kubectl's "cpu: 500m" lines. */
function amounts(c: ContainerSpec, which: "limits" | "requests", how?: LimitEnforcement): Field[] {
  const a = c[which];
  const fields: Field[] = [];
  const note = (text: string | undefined) => (which === "limits" && text ? `  (${text})` : "");
  if (a.cpuMilli !== undefined) fields.push(["cpu", formatCpuQuantity(a.cpuMilli) + note(enforcementText(how?.cpu))]);
  if (a.memoryMiB !== undefined) fields.push(["memory", formatMemoryQuantity(a.memoryMiB) + note(enforcementText(how?.memory))]);
  return fields;
}

/** A describe line: "Key:  value", then its details indented below (fields, or plain lines such as a command). */
interface Line {
  key: string;
  value?: string;
  sub?: Field[] | string[];
}

/** Renders lines with their values aligned across the whole block, as kubectl aligns a container. */
function renderLines(lines: readonly Line[]): string {
  const width = Math.max(0, ...lines.map((l) => l.key.length + 1));
  return lines
    .flatMap((l) => {
      const head = `${(l.key + ":").padEnd(width)}  ${l.value ?? ""}`.trimEnd();
      if (!l.sub?.length) return [head];
      const sub = l.sub.every((x) => typeof x === "string") ? (l.sub as string[]).join("\n") : renderFields(l.sub as Field[]);
      return [head, indent(sub)];
    })
    .join("\n");
}

/** One container of `describe pod`. */
function describeContainer(c: ContainerSpec, status: ContainerStatus | undefined, how?: LimitEnforcement): string {
  const [state, stateFields] = describeState(status?.state);
  const [last, lastFields] = describeState(status?.lastState);
  const lines: Line[] = [{ key: "Image", value: c.image }];
  if (c.ports.length) lines.push({ key: "Port", value: c.ports.map((p) => `${p.containerPort}/${p.protocol}`).join(", ") });
  if (c.command.length) lines.push({ key: "Command", sub: c.command });
  if (c.args.length) lines.push({ key: "Args", sub: c.args });
  lines.push({ key: "State", value: state, sub: stateFields }, { key: "Last State", value: last, sub: lastFields });
  lines.push({ key: "Ready", value: status?.ready ? "True" : "False" }, { key: "Restart Count", value: String(status?.restartCount ?? 0) });
  const limits = amounts(c, "limits", how);
  const requests = amounts(c, "requests");
  if (limits.length) lines.push({ key: "Limits", sub: limits });
  if (requests.length) lines.push({ key: "Requests", sub: requests });
  if (c.livenessProbe) lines.push({ key: "Liveness", value: describeProbe(c.livenessProbe) });
  if (c.readinessProbe) lines.push({ key: "Readiness", value: describeProbe(c.readinessProbe) });
  if (c.startupProbe) lines.push({ key: "Startup", value: describeProbe(c.startupProbe) });
  const env: Field[] = c.env.map((e) => [e.name, e.value]);
  lines.push(env.length ? { key: "Environment", sub: env } : { key: "Environment", value: "<none>" });
  return `${c.name}:\n${indent(renderLines(lines))}`;
}

/** `describe pod`: identity, containers, conditions, the scheduler's per-node explanation and events. */
export function describePod(d: PodDetail, wide = false): string {
  const p: PodDTO = d.pod;
  const fields: Field[] = [
    ["Name", p.name],
    ["Namespace", p.namespace],
    ["Node", p.nodeName ?? "<none>"],
    ["Start Time", p.startedAt ?? "<unset>"],
    ["Labels", formatLabels(p.labels)],
    ["Status", p.status === "Terminating" ? "Terminating" : podPhaseOf(p)],
  ];
  // Kube-9 also keeps the placement message on running pods; that belongs to the Scheduling section below.
  if (p.status === "Pending" || p.status === "Failed") {
    if (p.reason) fields.push(["Reason", p.reason]);
    if (p.message) fields.push(["Message", p.message]);
  }
  fields.push(["IP", p.podIP ?? ""], ["UID", p.id]);
  const parts = [renderFields(fields)];
  const containers = p.spec?.containers ?? [];
  parts.push(
    section(
      "Containers",
      containers.map((c) => describeContainer(c, p.containerStatuses.find((s) => s.name === c.name), p.enforcement[c.name])).join("\n"),
      // A pod launched with only --cpu holds room on its node and runs nothing.
      `<none> (a placeholder holding ${formatCpuQuantity(p.request.cpuMilli)} CPU, ${formatMemoryQuantity(p.request.memoryMiB)} memory)`,
    ),
  );
  const conditions = p.conditions.map((c) => [c.type, c.status, c.reason ?? ""]);
  parts.push(section("Conditions", conditions.length ? renderTable(["Type", "Status", "Reason"], conditions) : undefined));
  parts.push(renderFields([
    ["QoS Class", p.spec ? qosClass(p.spec) : "<none>"],
    ["Node-Selectors", formatLabels(p.nodeSelector)],
    ["Restart Policy", p.spec?.restartPolicy ?? "<none>"],
  ]));
  // The policy named is the one the explanation was computed with (the pod's own, else the cluster's).
  parts.push(section(`Scheduling (${d.policy})`, d.fits.length ? renderFitTable(d.fits) : undefined, "<no nodes>"));
  parts.push(eventsSection(d.events, wide));
  return parts.join("\n");
}

function eventsSection(events: readonly EventDTO[], wide: boolean): string {
  // Describe shows the tail; wide shows everything the API returned.
  const shown = wide ? events : events.slice(-20);
  return section("Events", shown.length ? renderEventTable(shown, false) : undefined);
}

/** A pod's summed limit of one resource, "0" when a container has none (kubectl's convention). */
function podAmount(p: PodDTO, which: "limits" | "requests", key: "cpuMilli" | "memoryMiB"): number {
  if (which === "requests") return p.request[key];
  return (p.spec?.containers ?? []).reduce((sum, c) => sum + (c.limits[key] ?? 0), 0);
}

/** `describe node`: identity, conditions, capacity, its pods with their requests and limits, events. */
export function describeNode(d: NodeDetail, wide = false): string {
  const n = d.node;
  const capacity = renderFields([
    ["cpu", formatCpuQuantity(n.capacity.cpuMilli)],
    ["memory", formatMemoryQuantity(n.capacity.memoryMiB)],
  ]);
  const parts = [
    renderFields([
      ["Name", n.name],
      ["Roles", nodeRoles(n)],
      ["Labels", formatLabels(n.labels)],
      ["CreationTimestamp", n.createdAt],
      ["Unschedulable", String(n.status !== "Ready")],
    ]),
    section(
      "Conditions",
      renderTable(
        ["Type", "Status", "LastHeartbeatTime", "Reason", "Message"],
        [["Ready", nodeStatusText(n).startsWith("Ready") ? "True" : "False", n.lastHeartbeatAt ?? "<never>", n.status, n.reason ?? ""]],
      ),
    ),
    section("Capacity", capacity),
    section("Allocatable", capacity),
    section("System Info", renderFields([["Machine ID", n.id], ["Container Runtime", n.runtime], ["Container", n.containerId ?? "<none>"]])),
  ];
  const cpu = (m: number) => `${formatCpuQuantity(m)} (${formatPercent(m, n.capacity.cpuMilli)})`;
  const mem = (m: number) => `${formatMemoryQuantity(m)} (${formatPercent(m, n.capacity.memoryMiB)})`;
  const rows = d.pods.map((p) => [
    p.namespace, p.name,
    cpu(podAmount(p, "requests", "cpuMilli")), cpu(podAmount(p, "limits", "cpuMilli")),
    mem(podAmount(p, "requests", "memoryMiB")), mem(podAmount(p, "limits", "memoryMiB")),
  ]);
  parts.push(
    `Non-terminated Pods:  (${d.pods.length} in total)` +
      (rows.length
        ? "\n" + indent(renderTable(["Namespace", "Name", "CPU Requests", "CPU Limits", "Memory Requests", "Memory Limits"], rows))
        : ""),
  );
  const sum = (which: "limits" | "requests", key: "cpuMilli" | "memoryMiB") => d.pods.reduce((s, p) => s + podAmount(p, which, key), 0);
  parts.push(
    section(
      "Allocated resources",
      renderTable(["Resource", "Requests", "Limits"], [
        ["cpu", cpu(sum("requests", "cpuMilli")), cpu(sum("limits", "cpuMilli"))],
        ["memory", mem(sum("requests", "memoryMiB")), mem(sum("limits", "memoryMiB"))],
      ]),
    ),
  );
  parts.push(eventsSection(d.events, wide));
  return parts.join("\n");
}
