import { createHash } from "node:crypto";
import {
  compilePodFirewall,
  OPEN_FIREWALL,
  type NetpolAssignment,
  type NetpolNamespace,
  type NetpolPod,
  type NetpolReport,
  type NetworkPolicy,
  type PodFirewall,
} from "@kube9/core";
import type { PodRecord } from "@kube9/db";
import type { ClusterCache } from "../cache/cluster-cache.js";
import { canonicalJson } from "../canonical-json.js";
import { storedPolicy } from "../services/network-policy-service.js";
import type { EnforcementDTO } from "../services/network-policy-service.js";

/** Statuses in which a pod's containers may be running (so its address and firewall matter). */
const LIVE = new Set(["Scheduled", "Running", "Terminating"]);

/** What policies are judged against: every live pod, every namespace, every policy (one generation of the cache). */
export interface NetpolModel {
  generation: number;
  pods: NetpolPod[];
  /** The same pods, by pod id. */
  byId: Map<string, NetpolPod>;
  namespaces: NetpolNamespace[];
  policies: NetworkPolicy[];
}

/** A pod as NetworkPolicies see it: namespace, name, labels, IP and named container ports. */
export function netpolPod(p: PodRecord): NetpolPod {
  const ports = (p.spec?.containers ?? []).flatMap((c) =>
    (c.ports ?? []).map((port) => ({
      ...(port.name ? { name: port.name } : {}),
      containerPort: port.containerPort,
      protocol: (port.protocol ?? "TCP") as NetpolPod["ports"][number]["protocol"],
    })),
  );
  return { namespace: p.namespace, name: p.name, labels: p.labels, ...(p.podStatus?.podIP ? { ip: p.podStatus.podIP } : {}), ports };
}

/**
 * The API side of the policy dataplane (docs/architecture.md, "Network policies"): compiles each node's pods'
 * firewalls from the cache, once per netpol generation and node, and remembers what each node's agent says it
 * applied and whether it can enforce at all. Heartbeat answers carry a node's firewalls only when its applied
 * revision is not the current one.
 */
export class NetpolDataplane {
  private model: NetpolModel | undefined;
  private readonly perNode = new Map<string, { generation: number; assignment: NetpolAssignment }>();
  private readonly reports = new Map<string, NetpolReport>();

  constructor(private readonly cache: ClusterCache) {}

  /** The model of the cache's current netpol generation. */
  current(): NetpolModel {
    const generation = this.cache.netpolGeneration;
    if (this.model?.generation === generation) return this.model;
    const live = this.cache.pods().filter((p) => LIVE.has(p.status));
    const byId = new Map(live.map((p) => [p.id, netpolPod(p)]));
    const namespaces = this.cache.namespaces().map((n) => ({ name: n.name, labels: n.labels }));
    const policies = this.cache.policies().map(storedPolicy);
    this.model = { generation, pods: [...byId.values()], byId, namespaces, policies };
    return this.model;
  }

  /** A pod's firewall now (OPEN when no policy isolates it). */
  firewallOf(pod: PodRecord): PodFirewall {
    const m = this.current();
    if (m.policies.length === 0) return OPEN_FIREWALL;
    return compilePodFirewall(m.byId.get(pod.id) ?? netpolPod(pod), m.pods, m.namespaces, m.policies);
  }

  /** Every firewall of a node's pods that isolates something, and the revision naming that set. */
  assignment(nodeId: string): NetpolAssignment {
    const generation = this.cache.netpolGeneration;
    const known = this.perNode.get(nodeId);
    if (known?.generation === generation) return known.assignment;
    const firewalls: Record<string, PodFirewall> = {};
    for (const p of this.cache.podsOn(nodeId)) {
      if (!LIVE.has(p.status) || !p.spec) continue;
      const fw = this.firewallOf(p);
      if (fw.ingress !== null || fw.egress !== null) firewalls[p.id] = fw;
    }
    const ids = Object.keys(firewalls).sort();
    const revision = ids.length === 0
      ? "open"
      : createHash("sha256").update(canonicalJson(ids.map((id) => [id, firewalls[id]]))).digest("hex").slice(0, 16);
    const assignment = { revision, firewalls };
    this.perNode.set(nodeId, { generation, assignment });
    return assignment;
  }

  /** Notes a node's report; returns its firewalls when what it applied is not current. */
  onHeartbeat(nodeId: string, report: NetpolReport | undefined): NetpolAssignment | undefined {
    if (!report) return undefined;
    this.reports.set(nodeId, report);
    const a = this.assignment(nodeId);
    return a.revision === report.revision ? undefined : a;
  }

  /** Nodes whose agent enforces and has not applied the current firewalls (to be told at once). */
  outdatedNodes(): string[] {
    const out: string[] = [];
    for (const [nodeId, report] of this.reports) {
      if (!this.cache.node(nodeId)) {
        this.reports.delete(nodeId);
        this.perNode.delete(nodeId);
        continue;
      }
      if (report.enforcement === "nftables" && this.assignment(nodeId).revision !== report.revision) out.push(nodeId);
    }
    return out;
  }

  /** The node's last report, if its agent sent one. */
  report(nodeId: string): NetpolReport | undefined {
    return this.reports.get(nodeId);
  }

  /** Which nodes running pods with containers enforce policies, and which cannot (with their agents' reasons). */
  enforcement(): EnforcementDTO {
    const enforcing: string[] = [];
    const notEnforcing: EnforcementDTO["notEnforcing"] = [];
    for (const n of this.cache.nodes()) {
      if (!this.cache.podsOn(n.id).some((p) => p.spec && LIVE.has(p.status))) continue;
      const r = this.reports.get(n.id);
      if (r?.enforcement === "nftables") enforcing.push(n.name);
      else notEnforcing.push({ node: n.name, reason: r ? (r.reason ?? "the agent cannot enforce policies") : reasonWithoutReport(n.runtime) });
    }
    return { enforcing, notEnforcing };
  }
}

function reasonWithoutReport(runtime: string): string {
  return runtime === "hollow"
    ? "hollow node: its pods run no processes and have no network, so there is nothing to enforce"
    : "its agent has not reported a policy dataplane (an older agent, or it has not beaten yet)";
}
