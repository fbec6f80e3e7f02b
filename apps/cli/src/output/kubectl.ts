import type { NamespaceDTO, NetworkPolicyDTO, NodeDTO, PodDTO } from "../types.js";
import { dash, formatAge, formatCores } from "./format.js";
import { renderTable } from "./table.js";

// The columns `kubectl get pods|nodes` prints, computed the way kubectl's printers compute them
// (printPod / printNode in k8s.io/kubernetes pkg/printers/internalversion/printers.go).

/** READY: containers ready over containers in the spec ("1/2"); a pod without containers is "0/0". */
export function podReady(p: PodDTO): string {
  const total = p.spec?.containers.length ?? 0;
  const ready = p.containerStatuses.filter((s) => s.ready && "running" in s.state).length;
  return `${ready}/${total}`;
}

/**
 * RESTARTS: the sum of the containers' restart counts, with kubectl's "(<age> ago)" of the latest
 * restart when known. A pod without containers counts Kube-9's own restarts (reschedules) instead.
 */
export function podRestarts(p: PodDTO, now = Date.now()): string {
  if (!p.spec) return String(p.restarts);
  let total = 0;
  let last: string | undefined;
  for (const s of p.containerStatuses) {
    total += s.restartCount;
    const finished = "terminated" in s.lastState ? s.lastState.terminated.finishedAt : undefined;
    if (finished && (!last || finished > last)) last = finished;
  }
  return total > 0 && last ? `${total} (${formatAge(last, now)} ago)` : String(total);
}

/**
 * STATUS as kubectl shows it: the phase, overridden by the first container (kubectl walks them in
 * reverse so the first one wins) that waits with a reason (CrashLoopBackOff, ErrImagePull, ...) or has
 * terminated (its reason, else ExitCode:N / Signal:N); "Completed" turns back into "Running" (or
 * "NotReady") while another container still runs; a pod being deleted is "Terminating" whatever else is true.
 */
export function podStatusText(p: PodDTO): string {
  if (p.status === "Terminating") return "Terminating";
  // Pods without a reported phase (placeholders, or not yet seen by a kubelet) show Kube-9's status.
  let reason: string = p.phase ?? p.status;
  if (reason === "Succeeded") reason = "Completed";
  let running = false;
  for (const s of [...p.containerStatuses].reverse()) {
    const state = s.state;
    if ("waiting" in state && state.waiting.reason) reason = state.waiting.reason;
    else if ("terminated" in state) {
      const t = state.terminated;
      reason = t.reason || (t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`);
    } else if ("running" in state && s.ready) running = true;
  }
  if (reason === "Completed" && running) {
    reason = p.conditions.some((c) => c.type === "Ready" && c.status === "True") ? "Running" : "NotReady";
  }
  return reason;
}

/** Column headers of `get pods` (wide adds IP and NODE). */
export function kubectlPodHeaders(wide: boolean): string[] {
  return wide ? ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"] : ["NAME", "READY", "STATUS", "RESTARTS", "AGE"];
}

/** One pod as `get pods` cells. */
export function kubectlPodRow(p: PodDTO, wide: boolean, now = Date.now()): string[] {
  const row = [p.name, podReady(p), podStatusText(p), podRestarts(p, now), formatAge(p.createdAt, now)];
  if (wide) row.push(p.podIP ?? "<none>", p.nodeName ?? "<none>");
  return row;
}

/** The `get pods` table. */
export function renderKubectlPods(pods: readonly PodDTO[], wide: boolean, now = Date.now()): string {
  return renderTable(kubectlPodHeaders(wide), pods.map((p) => kubectlPodRow(p, wide, now)));
}

/**
 * A node's STATUS in kubectl's words: Ready, NotReady, or Unknown when its heartbeats stopped
 * (Suspect: the node controller's NodeStatusUnknown); a cordoned node adds SchedulingDisabled.
 */
export function nodeStatusText(n: NodeDTO): string {
  switch (n.status) {
    case "Ready":
      return "Ready";
    case "Cordoned":
      return "Ready,SchedulingDisabled";
    case "Suspect":
      return "Unknown";
    case "Removed":
      return "NotReady,SchedulingDisabled";
    default:
      return "NotReady";
  }
}

/** ROLES: kubectl reads node-role.kubernetes.io/* labels, which workers usually lack ("<none>"). */
export function nodeRoles(n: NodeDTO): string {
  return n.role === "master" ? "control-plane" : "<none>";
}

/** Column headers of `get nodes` (wide adds CPU, MEMORY and RUNTIME). */
export function kubectlNodeHeaders(wide: boolean): string[] {
  const headers = ["NAME", "STATUS", "ROLES", "AGE", "VERSION"];
  return wide ? [...headers, "CPU", "MEMORY", "RUNTIME"] : headers;
}

/** One node as `get nodes` cells; VERSION is "-" as Kube-9 nodes report no kubelet version. */
export function kubectlNodeRow(n: NodeDTO, wide: boolean, now = Date.now()): string[] {
  const row = [n.name, nodeStatusText(n), nodeRoles(n), formatAge(n.createdAt, now), dash(undefined)];
  if (wide) row.push(formatCores(n.capacity.cpuMilli), `${n.capacity.memoryMiB}Mi`, n.runtime);
  return row;
}

/** The `get nodes` table. */
export function renderKubectlNodes(nodes: readonly NodeDTO[], wide: boolean, now = Date.now()): string {
  return renderTable(kubectlNodeHeaders(wide), nodes.map((n) => kubectlNodeRow(n, wide, now)));
}

/** Column headers of `get namespaces`. */
export function kubectlNamespaceHeaders(wide: boolean): string[] {
  return wide ? ["NAME", "STATUS", "AGE", "LABELS"] : ["NAME", "STATUS", "AGE"];
}

/** One namespace as `get namespaces` cells. */
export function kubectlNamespaceRow(n: NamespaceDTO, wide: boolean, now = Date.now()): string[] {
  const row = [n.name, n.status, formatAge(n.createdAt, now)];
  if (wide) row.push(Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(","));
  return row;
}

/** Column headers of `get networkpolicies` (kubectl's NAME POD-SELECTOR AGE; wide adds Kube-9's POLICY-TYPES and PODS). */
export function kubectlNetpolHeaders(wide: boolean): string[] {
  return wide ? ["NAME", "POD-SELECTOR", "AGE", "POLICY-TYPES", "PODS"] : ["NAME", "POD-SELECTOR", "AGE"];
}

/** One policy as `get networkpolicies` cells; kubectl prints an empty selector as "<none>". */
export function kubectlNetpolRow(p: NetworkPolicyDTO, wide: boolean, now = Date.now()): string[] {
  const row = [p.name, p.podSelector === "{}" ? "<none>" : p.podSelector, formatAge(p.createdAt, now)];
  if (wide) row.push(p.policyTypes.join(","), String(p.selectedPods.length));
  return row;
}
