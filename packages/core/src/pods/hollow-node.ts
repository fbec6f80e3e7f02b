import { componentsForRole, type NodeRole, type Resources } from "../types.js";
import { DEFAULT_HOLLOW_USAGE, hollowPodUsage, podUsageTotal, type HollowUsageOptions } from "../usage/hollow-usage.js";
import type { PodUsageReport } from "../usage/types.js";
import { hollowPodStatus } from "./hollow.js";
import { backoffDelayMs, containerTerminated, crashLoopBackOff, restartDecision, type BackoffOptions } from "./kubelet.js";
import { podConditions, podPhase } from "./pod-status.js";
import type { PodAssignment, PodStatusReport } from "./protocol.js";
import type { ContainerSpec, ContainerStatus, PodSpec } from "./types.js";

// A hollow node's kubelet, as KWOK simulates one: the pods it was given, the statuses it owes the
// API, made-up use, and containers that crash — no processes, time passed in. The API's in-process
// hollow runtime and the `kube9 hollow` fleet (apps/node-agent/src/hollow) both drive it.

/** The heartbeat schema takes at most this many pods' usage. */
const MAX_REPORTED_PODS = 1000;

/** What a hollow node sends with a heartbeat (the agent protocol's report, without usage of its own). */
export interface HollowReport {
  podIds: string[];
  usage: Resources;
  podUsage?: PodUsageReport;
  components: Record<string, "Healthy">;
  podStatuses?: PodStatusReport[];
}

/** The parts of a heartbeat answer a hollow node acts on. */
export interface HollowAnswer {
  desiredPodIds: string[];
  assignments: PodAssignment[];
  heartbeatIntervalMs: number;
  kubelet?: { backoffInitialMs: number; backoffMaxMs: number };
}

/**
 * The exit code a built-in image's container would end with at once, from its command line alone:
 * `false` (1), `true` (0) or `sh -c "exit N"` (N); null when it would keep running.
 */
export function hollowExitCode(container: Pick<ContainerSpec, "command" | "args">): number | null {
  const argv = [...container.command, ...container.args];
  const bin = argv[0]?.split("/").pop();
  if (argv.length === 1 && bin === "false") return 1;
  if (argv.length === 1 && bin === "true") return 0;
  if (argv.length === 3 && (bin === "sh" || bin === "bash") && argv[1] === "-c") {
    const m = /^\s*exit\s+(\d{1,3})\s*$/.exec(argv[2]!);
    if (m) return Number(m[1]) & 255;
  }
  return null;
}

/** A pod whose containers exit: when each was last started, and its restarts so far. */
interface CrashingPod {
  name: string;
  namespace: string;
  spec: PodSpec;
  scheduledAt: number;
  restarts: number[];
  /** When the next restart is due (epoch ms); Infinity when nothing restarts any more. */
  nextRestartAt: number;
}

/** One simulated kubelet: converges to the desired pods and reports what it would see. */
export class HollowNode {
  private readonly pods = new Set<string>();
  /** Specs of the pods with containers (placeholders come as bare ids and report no use). */
  private readonly specs = new Map<string, PodSpec>();
  private readonly crashing = new Map<string, CrashingPod>();
  /** Statuses not yet accepted by the API (sent again if a heartbeat fails). */
  private unsent: PodStatusReport[] = [];
  private components: Record<string, "Healthy"> = {};
  private backoff: BackoffOptions = { initialMs: 1000, maxMs: 60_000 };
  /** The heartbeat interval the API asked for. */
  intervalMs = 1000;

  constructor(private readonly usageOptions: HollowUsageOptions = DEFAULT_HOLLOW_USAGE) {}

  /** After registration: the components its role runs are healthy, and the API's interval applies. */
  registered(role: NodeRole, heartbeatIntervalMs: number): void {
    this.intervalMs = heartbeatIntervalMs;
    this.components = Object.fromEntries(componentsForRole(role).map((c) => [c, "Healthy" as const]));
  }

  /** The next heartbeat's report at `now`; `sent` is what to pass to accepted() once the API took it. */
  report(now: number): { report: HollowReport; sent: PodStatusReport[] } {
    this.restartDue(now);
    const sent = this.unsent;
    const podUsage = this.podUsage(now);
    return {
      report: {
        podIds: [...this.pods],
        // No agent process: the node's total is its pods'.
        usage: podUsage ? podUsageTotal(podUsage) : { cpuMilli: 0, memoryMiB: 0 },
        ...(podUsage ? { podUsage } : {}),
        components: this.components,
        ...(sent.length > 0 ? { podStatuses: sent } : {}),
      },
      sent,
    };
  }

  /** The API answered the beat that carried `sent`: converge; true when the pod set changed (confirm at once). */
  accepted(sent: PodStatusReport[], answer: HollowAnswer, now: number): boolean {
    if (sent.length > 0) this.unsent = this.unsent.filter((s) => !sent.includes(s));
    this.intervalMs = answer.heartbeatIntervalMs;
    if (answer.kubelet) this.backoff = { initialMs: answer.kubelet.backoffInitialMs, maxMs: answer.kubelet.backoffMaxMs };
    const desired = new Set(answer.desiredPodIds);
    let changed = false;
    for (const a of answer.assignments) {
      if (!desired.has(a.id)) continue;
      this.specs.set(a.id, a.spec);
      this.unsent.push(this.start(a, now));
    }
    for (const id of desired) if (!this.pods.has(id)) (this.pods.add(id), (changed = true));
    for (const id of this.pods) {
      if (desired.has(id)) continue;
      this.pods.delete(id);
      this.specs.delete(id);
      this.crashing.delete(id);
      changed = true;
    }
    return changed;
  }

  /** How many pods it runs. */
  get podCount(): number {
    return this.pods.size;
  }

  /** A new pod's first status; containers that exit at once make it a crashing pod. */
  private start({ id: podId, name, namespace, spec }: PodAssignment, now: number): PodStatusReport {
    const exits = spec.containers.some((c) => hollowExitCode(c) !== null);
    if (!exits) return hollowPodStatus(podId, spec, now, now);
    const pod: CrashingPod = { name, namespace, spec, scheduledAt: now, restarts: spec.containers.map(() => 0), nextRestartAt: Infinity };
    this.crashing.set(podId, pod);
    return this.crashStatus(podId, pod, now);
  }

  /** Restarts exited containers whose back-off is over, queueing their new statuses. */
  private restartDue(now: number): void {
    for (const [id, pod] of this.crashing) {
      if (now < pod.nextRestartAt) continue;
      pod.restarts = pod.restarts.map((r, i) => (this.restarts(pod.spec, i) ? r + 1 : r));
      this.unsent = this.unsent.filter((s) => s.podId !== id);
      this.unsent.push(this.crashStatus(id, pod, now));
    }
  }

  /** Whether container i exits and its pod's restart policy starts it again. */
  private restarts(spec: PodSpec, i: number): boolean {
    const code = hollowExitCode(spec.containers[i]!);
    return code !== null && restartDecision(spec.restartPolicy, code);
  }

  /** Statuses of a crashing pod at `now`: exited containers wait out their back-off or stay terminated. */
  private crashStatus(podId: string, pod: CrashingPod, now: number): PodStatusReport {
    const base = hollowPodStatus(podId, pod.spec, pod.scheduledAt, now);
    let next = Infinity;
    const containerStatuses: ContainerStatus[] = base.containerStatuses.map((status, i) => {
      const code = status.started ? hollowExitCode(pod.spec.containers[i]!) : null;
      if (code === null) return status;
      const ended = containerTerminated({ exitCode: code, startedAt: now, finishedAt: now });
      const restartCount = pod.restarts[i]!;
      if (!this.restarts(pod.spec, i)) return { ...status, state: ended, ready: false, started: false, restartCount };
      const delay = backoffDelayMs(restartCount, this.backoff);
      next = Math.min(next, now + delay);
      const waiting = crashLoopBackOff(delay, status.name, pod.name, pod.namespace);
      return { ...status, state: waiting, lastState: ended, ready: false, started: false, restartCount };
    });
    pod.nextRestartAt = next;
    const phase = podPhase(pod.spec, containerStatuses);
    return { podId, phase, containerStatuses, conditions: podConditions(phase, containerStatuses, pod.scheduledAt, now) };
  }

  /** The made-up use of the pods it runs (those it reports and has a spec for), or undefined when there is none. */
  private podUsage(now: number): PodUsageReport | undefined {
    if (this.specs.size === 0 || this.usageOptions.report === false) return undefined;
    const report: PodUsageReport = {};
    let count = 0;
    for (const [id, spec] of this.specs) {
      if (!this.pods.has(id) || this.crashing.has(id)) continue;
      const containers = hollowPodUsage(id, spec.containers, now, this.usageOptions);
      if (Object.keys(containers).length === 0) continue;
      report[id] = containers;
      if (++count >= MAX_REPORTED_PODS) break;
    }
    return count > 0 ? report : undefined;
  }
}
