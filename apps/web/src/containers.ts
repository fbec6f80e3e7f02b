import { ago, cores, mib, type PodDTO } from "./api";

// How pods' containers read on every page, in kubectl's words (READY, STATUS, RESTARTS).

export type ContainerStatusDTO = PodDTO["containerStatuses"][number];
export type ContainerState = ContainerStatusDTO["state"];
export type ContainerSpecDTO = NonNullable<PodDTO["spec"]>["containers"][number];
export type ProbeDTO = NonNullable<ContainerSpecDTO["livenessProbe"]>;
export type Enforcement = PodDTO["enforcement"][string];

/** READY as kubectl prints it: ready containers / containers ("—" for a pod that runs none). */
export function readyText(p: PodDTO): string {
  const total = p.spec?.containers.length ?? 0;
  if (total === 0) return "—";
  return `${p.containerStatuses.filter((c) => c.ready).length}/${total}`;
}

/** Restarts of the pod's containers on its current node (kubectl's RESTARTS). */
export function restartsOf(p: PodDTO): number {
  return p.containerStatuses.reduce((n, c) => n + c.restartCount, 0);
}

/**
 * STATUS as kubectl prints it: a container's waiting or terminated reason (CrashLoopBackOff,
 * ErrImagePull, OOMKilled…) wins over the phase, the last such container winning as in kubectl.
 * Pods whose node has not reported yet (and placeholder pods) show Kube-9's own status.
 */
export function podStatusText(p: PodDTO): string {
  if (p.status === "Terminating" || p.status === "Pending") return p.status;
  if (p.containerStatuses.length === 0) return p.phase ?? p.status;
  let reason: string = p.phase ?? p.status;
  for (const c of p.containerStatuses) {
    const s = c.state;
    if ("waiting" in s && s.waiting.reason) reason = s.waiting.reason;
    else if ("terminated" in s) reason = s.terminated.reason || (s.terminated.signal ? `Signal:${s.terminated.signal}` : `ExitCode:${s.terminated.exitCode}`);
  }
  return reason;
}

/** Which of the three states (or "none" for an empty lastState). */
export function stateKind(s: ContainerState | Record<string, never>): "waiting" | "running" | "terminated" | "none" {
  if ("waiting" in s) return "waiting";
  if ("running" in s) return "running";
  if ("terminated" in s) return "terminated";
  return "none";
}

/** One line for a container state: "Waiting: reason (message)", "Running since …", "Terminated: reason, exit code N". */
export function stateText(s: ContainerState | Record<string, never>, now: number): string {
  if ("waiting" in s) return `Waiting: ${s.waiting.reason}${s.waiting.message ? ` (${s.waiting.message})` : ""}`;
  if ("running" in s) return `Running since ${new Date(s.running.startedAt).toLocaleTimeString()} (${ago(s.running.startedAt, now)})`;
  if ("terminated" in s) {
    const t = s.terminated;
    const signal = t.signal ? `, signal ${t.signal}` : "";
    const msg = t.message ? ` (${t.message})` : "";
    return `Terminated: ${t.reason}, exit code ${t.exitCode}${signal}, ${ago(t.finishedAt, now)}${msg}`;
  }
  return "—";
}

/** The short form for small places (node cards): "Running", "CrashLoopBackOff", "Completed (0)". */
export function stateShort(s: ContainerState): string {
  if ("waiting" in s) return s.waiting.reason;
  if ("running" in s) return "Running";
  return `${s.terminated.reason} (${s.terminated.exitCode})`;
}

/** Requests or limits: "0.5 CPU, 256 MiB", or "none". */
export function amountsText(a: ContainerSpecDTO["limits"]): string {
  const parts = [a.cpuMilli !== undefined ? `${cores(a.cpuMilli)} CPU` : "", a.memoryMiB !== undefined ? mib(a.memoryMiB) : ""].filter(Boolean);
  return parts.join(", ") || "none";
}

const ENFORCED_BY: Record<string, string> = {
  "cgroup-v1": "by cgroup v1",
  "cgroup-v2": "by cgroup v2",
  agent: "by the node agent (it kills the container over its limit)",
  none: "not enforced on this node",
};

/** How each limit is enforced, e.g. "memory by cgroup v2, CPU not enforced on this node"; null before the node reports. */
export function enforcementText(limits: ContainerSpecDTO["limits"], e: Enforcement | undefined): string | null {
  if (!e) return null;
  const parts: string[] = [];
  if (limits.memoryMiB !== undefined) parts.push(`memory ${ENFORCED_BY[e.memory] ?? e.memory}`);
  if (limits.cpuMilli !== undefined) parts.push(`CPU ${ENFORCED_BY[e.cpu] ?? e.cpu}`);
  return parts.join(", ") || null;
}

/** A probe's handler in one line: "exec [cat /tmp/ok]", "GET :8080/healthz", "TCP :5432". */
export function probeHandler(p: ProbeDTO): string {
  if (p.exec) return `exec [${p.exec.command.join(" ")}]`;
  if (p.httpGet) return `GET ${p.httpGet.host ?? ""}:${p.httpGet.port}${p.httpGet.path}`;
  if (p.tcpSocket) return `TCP ${p.tcpSocket.host ?? ""}:${p.tcpSocket.port}`;
  return "no handler";
}

/** A probe's timing as `kubectl describe` prints it. */
export function probeTiming(p: ProbeDTO): string {
  return `delay=${p.initialDelaySeconds}s timeout=${p.timeoutSeconds}s period=${p.periodSeconds}s #success=${p.successThreshold} #failure=${p.failureThreshold}`;
}

/**
 * Splits a command line into words as a POSIX shell would for plain words and quotes:
 * 'single' and "double" quotes group, a backslash escapes outside single quotes. No expansion.
 */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`command: unclosed ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}
