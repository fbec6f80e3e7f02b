import {
  compareMatrices,
  explainConnection,
  allows,
  expectedMatrix,
  parseSelectorString,
  podEndpoint,
  podString,
  selectorMatches,
  type ConnectionVerdict,
  type MatrixComparison,
  type NetpolPod,
  type ReachabilityMatrix,
} from "@kube9/core";
import type { PodRecord } from "@kube9/db";
import type { ClusterCache } from "../cache/cluster-cache.js";
import { DomainError, invalid, notFound } from "../errors.js";
import { netpolPod, type NetpolDataplane } from "../netpol/dataplane.js";

/** What `kube9 net probe` asks for. */
export interface ProbeInput {
  /** Namespaces whose pods take part; undefined = every namespace. */
  namespaces?: string[];
  /** A kubectl label selector on the pods. */
  selector?: string;
  ports: number[];
  timeoutMs: number;
  /** Also the matrix the policies imply, and where the dataplane disagrees with it. */
  expect: boolean;
}

/** One probed port: the matrix of real connections, and (asked for) the expected one and the comparison. */
export interface ProbePortResult {
  port: number;
  protocol: "TCP";
  observed: ReachabilityMatrix;
  expected?: ReachabilityMatrix;
  comparison?: MatrixComparison;
}

export interface ProbeResult {
  /** "ns/name" of every pod in the matrices, in order. */
  pods: string[];
  ports: ProbePortResult[];
  /** Pods that could not be probed from or to, with why (no IP yet, node without a kubelet server, ...). */
  skipped: Array<{ pod: string; reason: string }>;
  /** Cells whose connection could not be made at all (the kubelet did not answer): not counted as blocked. */
  errors: string[];
  connections: number;
  durationMs: number;
  /**
   * Whether every enforcing node had the current policies in force when the connections were made; the probe
   * waits up to POLICY_WAIT_MS for them (a policy change takes effect within a second), and says when it did not.
   */
  policiesInForce: boolean;
  /** How long the probe waited for the nodes to put the current policies in force. */
  waitedMs: number;
}

/** How long a probe waits for nodes to put the current policies in force before it connects anyway. */
const POLICY_WAIT_MS = 3000;

/** A probe result from a kubelet (apps/node-agent's POST /probe). */
interface KubeletProbeAnswer {
  results: Array<{ ok: boolean; ms: number; error?: string }>;
}

/** Sources probed at once (each source's kubelet then runs its own connections in parallel). */
const SOURCE_CONCURRENCY = 16;

export interface NetServiceDeps {
  cache: ClusterCache;
  dataplane: NetpolDataplane;
}

/** Real connections between pods (`kube9 net probe`) and the policy semantics' account of one (`kube9 net explain`). */
export class NetService {
  constructor(private readonly deps: NetServiceDeps) {}

  /** Every selected pod to every selected pod on each port, made by the source pod's own network namespace. */
  async probe(input: ProbeInput): Promise<ProbeResult> {
    const started = Date.now();
    const policiesInForce = await this.policiesInForce(POLICY_WAIT_MS);
    const waitedMs = Date.now() - started;
    const selected = this.select(input.namespaces, input.selector);
    const skipped: ProbeResult["skipped"] = [];
    const pods = selected.filter((p) => {
      const why = this.unprobeable(p);
      if (why) skipped.push({ pod: podString(p), reason: why });
      return !why;
    });
    const names = pods.map(podString);
    const cells = new Map<number, (boolean | null)[][]>(input.ports.map((port) => [port, pods.map(() => pods.map(() => null))]));
    const errors: string[] = [];
    let connections = 0;
    const targets = input.ports.flatMap((port) => pods.map((p, j) => ({ port, j, ip: p.podStatus!.podIP! })));
    let next = 0;
    const worker = async () => {
      while (next < pods.length) {
        const i = next++;
        const from = pods[i]!;
        try {
          const answer = await this.callProbe(from, targets.map(({ ip, port }) => ({ ip, port, protocol: "TCP" as const })), input.timeoutMs);
          answer.results.forEach((r, k) => {
            const t = targets[k]!;
            cells.get(t.port)![i]![t.j] = r.ok;
          });
          connections += targets.length;
        } catch (err) {
          errors.push(`${podString(from)}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SOURCE_CONCURRENCY, pods.length) }, worker));
    const model = this.deps.dataplane.current();
    const netpolPods = pods.map((p) => model.byId.get(p.id) ?? netpolPod(p));
    const ports = input.ports.map((port): ProbePortResult => {
      const observed: ReachabilityMatrix = { froms: names, tos: [...names], cells: cells.get(port)! };
      if (!input.expect) return { port, protocol: "TCP", observed };
      const expected = expectedMatrix(netpolPods, model.namespaces, model.policies, port, "TCP");
      return { port, protocol: "TCP", observed, expected, comparison: compareMatrices(expected, observed) };
    });
    return { pods: names, ports, skipped, errors, connections, durationMs: Date.now() - started, policiesInForce, waitedMs };
  }

  /** Waits until no enforcing node is behind the current policies (true), or `ms` passed (false). */
  async policiesInForce(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.deps.dataplane.outdatedNodes().length > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  /** Why one connection is allowed or blocked: the policies selecting each side, and the rule that allows it or why none does. */
  async explain(from: { namespace: string; name: string }, to: { namespace: string; name: string }, port: number): Promise<{
    text: string;
    verdict: ConnectionVerdict;
  }> {
    const model = this.deps.dataplane.current();
    const a = this.netpolPodOf(await this.pod(from), model.byId);
    const b = this.netpolPodOf(await this.pod(to), model.byId);
    const query = [podEndpoint(a), podEndpoint(b), port, "TCP", model.policies, model.namespaces] as const;
    return { text: explainConnection(...query), verdict: allows(...query) };
  }

  private netpolPodOf(p: PodRecord, byId: Map<string, NetpolPod>): NetpolPod {
    return byId.get(p.id) ?? netpolPod(p);
  }

  private async pod(ref: { namespace: string; name: string }): Promise<PodRecord> {
    const p = await this.deps.cache.findPod(ref.namespace, ref.name);
    if (!p) throw notFound("pod", ref.name, ref.namespace);
    return p;
  }

  private select(namespaces: string[] | undefined, selectorText: string | undefined): PodRecord[] {
    const parsed = parseSelectorString(selectorText ?? "");
    if (!parsed.ok) throw invalid(parsed.error);
    for (const ns of namespaces ?? []) {
      if (!this.deps.cache.namespace(ns)) throw new DomainError("not-found", `namespace "${ns}" not found`);
    }
    return this.deps.cache
      .pods()
      .filter((p) => (namespaces === undefined || namespaces.includes(p.namespace)) && p.status !== "Succeeded" && p.status !== "Failed")
      .filter((p) => selectorMatches(parsed.selector, p.labels))
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  private unprobeable(p: PodRecord): string | undefined {
    if (p.status !== "Running") return `${p.status}, not Running`;
    if (!p.spec) return "runs no containers (launched without an image)";
    if (!p.podStatus?.podIP) return "has no pod IP (its node gives pods no network of their own)";
    const node = p.nodeId ? this.deps.cache.node(p.nodeId) : undefined;
    if (!node?.kubelet) return `its node ${node?.name ?? "?"} runs no kubelet server to probe from`;
    return undefined;
  }

  private async callProbe(from: PodRecord, targets: Array<{ ip: string; port: number; protocol: "TCP" }>, timeoutMs: number): Promise<KubeletProbeAnswer> {
    const node = this.deps.cache.node(from.nodeId!)!;
    const kubelet = node.kubelet!;
    let res: Response;
    try {
      res = await fetch(`${kubelet.url}/probe`, {
        method: "POST",
        headers: { authorization: `Bearer ${kubelet.token}`, "content-type": "application/json" },
        body: JSON.stringify({ podId: from.id, targets, timeoutMs }),
        // Every connection runs in parallel on the kubelet, bounded; allow for a few rounds of timeouts.
        signal: AbortSignal.timeout(timeoutMs * Math.max(4, Math.ceil(targets.length / 8)) + 5000),
      });
    } catch (err) {
      throw new Error(`the kubelet of node ${node.name} did not answer (${(err as Error).message})`);
    }
    if (!res.ok) throw new Error(`the kubelet of node ${node.name} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const body = (await res.json()) as KubeletProbeAnswer;
    if (!Array.isArray(body.results) || body.results.length !== targets.length) throw new Error(`the kubelet of node ${node.name} gave a malformed answer`);
    return body;
  }
}
