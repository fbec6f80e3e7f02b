// The model of upstream's network-policy e2e tests (test/e2e/network/netpol): namespaces x, y, z labelled ns=<name>,
// pods a, b, c in each labelled pod=<name>, each serving TCP 80 and 81 on ports named serve-80-tcp and serve-81-tcp.
// A scenario is a list of steps: the policies in force (as Kubernetes manifests), label changes, and for each probed
// port the expected 9x9 matrix, written with the same vocabulary as upstream's Reachability (expectPeer & co).

import type { Labels } from "../types.js";
import type { NetpolNamespace, NetpolPod } from "./evaluate.js";
import { podString, type ReachabilityMatrix } from "./matrix.js";
import type { NetpolProtocol } from "./types.js";

export const SCENARIO_NAMESPACES = ["x", "y", "z"] as const;
export const SCENARIO_POD_NAMES = ["a", "b", "c"] as const;
export const SCENARIO_PORTS = [80, 81] as const;

export interface ScenarioModel {
  namespaces: NetpolNamespace[];
  /** x/a, x/b, x/c, y/a, ... z/c: the rows and columns of every matrix, in this order. */
  pods: NetpolPod[];
}

/** One port probed from every pod to every pod, and what must come out. */
export interface ScenarioProbe {
  port: number;
  protocol: NetpolProtocol;
  expected: ReachabilityMatrix;
}

export interface ScenarioStep {
  /** What this step changes (upstream's ginkgo.By wording where it has one). */
  what: string;
  /** Every policy in force during the step, as manifests: apply these, delete any other. */
  policies: Record<string, unknown>[];
  /** Labels added to pods ("ns/pod") and namespaces for this step, as upstream's AddPodLabels/AddNamespaceLabel. */
  podLabels?: Record<string, Labels>;
  namespaceLabels?: Record<string, Labels>;
  probes: ScenarioProbe[];
}

export interface Scenario {
  /** Upstream's It() name for a ported test; Kube-9's own wording otherwise. */
  name: string;
  /** "upstream" for test/e2e/network/netpol/network_policy.go, "kube-9" for scenarios upstream lacks (endPort). */
  source: "upstream" | "kube-9";
  /** The steps for a model (ipBlock scenarios need its pod IPs). */
  steps(model: ScenarioModel): ScenarioStep[];
}

/** A scenario of one step, built for a model. */
export function oneStep(name: string, build: (model: ScenarioModel) => ScenarioStep, source: Scenario["source"] = "upstream"): Scenario {
  return { name, source, steps: (m) => [build(m)] };
}

/**
 * The x/y/z x a/b/c model. `ips` ("x/a" -> address) gives real pods' IPs; the defaults are 10.9.<ns>.<pod>, all
 * within one /4 as upstream's except-clause scenarios assume of real pod IPs.
 */
export function scenarioModel(ips: Record<string, string> = {}): ScenarioModel {
  const namespaces = SCENARIO_NAMESPACES.map((ns) => ({ name: ns, labels: { ns } }));
  const pods = SCENARIO_NAMESPACES.flatMap((ns, i) =>
    SCENARIO_POD_NAMES.map((name, j): NetpolPod => ({
      namespace: ns,
      name,
      labels: { pod: name },
      ip: ips[`${ns}/${name}`] ?? `10.9.${i + 1}.${j + 1}`,
      ports: SCENARIO_PORTS.map((port) => ({ name: `serve-${port}-tcp`, containerPort: port, protocol: "TCP" as const })),
    })),
  );
  return { namespaces, pods };
}

/** The model as a step sees it: its pod and namespace label additions applied. */
export function modelForStep(model: ScenarioModel, step: ScenarioStep): ScenarioModel {
  return {
    namespaces: model.namespaces.map((n) => ({ ...n, labels: { ...n.labels, ...step.namespaceLabels?.[n.name] } })),
    pods: model.pods.map((p) => ({ ...p, labels: { ...p.labels, ...step.podLabels?.[podString(p)] } })),
  };
}

/** The IP of a model pod ("x/a"). */
export function podIp(model: ScenarioModel, pod: string): string {
  const found = model.pods.find((p) => podString(p) === pod);
  if (!found?.ip) throw new Error(`no IP for ${pod}`);
  return found.ip;
}

/** Matches pods as upstream's Peer does: an absent namespace or pod matches any. */
export interface PeerMatch {
  namespace?: string;
  pod?: string;
}

/** Upstream's Reachability: a truth table starting all-allowed, edited by what a policy should change. */
export class Reachability {
  private readonly names: string[];
  private readonly cells: boolean[][];

  constructor(model: ScenarioModel) {
    this.names = model.pods.map(podString);
    this.cells = this.names.map(() => this.names.map(() => true));
  }

  private set(match: (from: string, to: string) => boolean, allowed: boolean): this {
    this.names.forEach((from, i) => this.names.forEach((to, j) => {
      if (match(from, to)) (this.cells[i] as boolean[])[j] = allowed;
    }));
    return this;
  }

  /** One cell. */
  expect(from: string, to: string, allowed: boolean): this {
    return this.set((f, t) => f === from && t === to, allowed);
  }

  /** Everything into `to`. */
  expectAllIngress(to: string, allowed: boolean): this {
    return this.set((_, t) => t === to, allowed);
  }

  /** Everything out of `from`. */
  expectAllEgress(from: string, allowed: boolean): this {
    return this.set((f) => f === from, allowed);
  }

  /** Every pair whose source matches `from` and destination matches `to`. */
  expectPeer(from: PeerMatch, to: PeerMatch, allowed: boolean): this {
    const matches = (m: PeerMatch, pod: string) => {
      const [ns, name] = pod.split("/");
      return (m.namespace === undefined || m.namespace === ns) && (m.pod === undefined || m.pod === name);
    };
    return this.set((f, t) => matches(from, f) && matches(to, t), allowed);
  }

  matrix(): ReachabilityMatrix {
    return { froms: [...this.names], tos: [...this.names], cells: this.cells.map((row) => [...row]) };
  }
}

/** A probe of `port` whose expectation `edit` writes on an all-allowed table. */
export function probe(
  model: ScenarioModel,
  port: number,
  edit: (r: Reachability) => unknown = () => {},
  protocol: NetpolProtocol = "TCP",
): ScenarioProbe {
  const r = new Reachability(model);
  edit(r);
  return { port, protocol, expected: r.matrix() };
}

/** A NetworkPolicy manifest, as a user would write it. */
export function netpol(namespace: string, name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace }, spec };
}

/** An ingress policy as upstream's SetSpecIngressRules builds it: policyTypes [Ingress] and these rules. */
export function ingressPolicy(namespace: string, name: string, podSelector: object, rules: object[]): Record<string, unknown> {
  return netpol(namespace, name, { podSelector, policyTypes: ["Ingress"], ingress: rules });
}

/** An egress policy as upstream's SetSpecEgressRules builds it: policyTypes [Egress] and these rules. */
export function egressPolicy(namespace: string, name: string, podSelector: object, rules: object[]): Record<string, unknown> {
  return netpol(namespace, name, { podSelector, policyTypes: ["Egress"], egress: rules });
}

/** A selector on one label: labelSelector("pod", "a") is pod=a. */
export function labelSelector(key: string, value: string): Record<string, unknown> {
  return { matchLabels: { [key]: value } };
}

/** A selector with one expression: expression("ns", "NotIn", "x"). */
export function expression(key: string, operator: "In" | "NotIn", ...values: string[]): Record<string, unknown> {
  return { matchExpressions: [{ key, operator, values }] };
}

/**
 * A pod of the model as a Kubernetes manifest: labelled pod=<name>, one busybox httpd container per port
 * ("cont-80-tcp", serving on the port named "serve-80-tcp"), as upstream's model pods serve each port.
 */
export function scenarioPodManifest(namespace: string, name: string, ports: readonly number[] = SCENARIO_PORTS): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { pod: name } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: ports.map((port) => ({
        name: `cont-${port}-tcp`,
        image: "busybox",
        command: ["httpd", "-f", "-p", String(port)],
        ports: [{ containerPort: port, name: `serve-${port}-tcp` }],
        resources: { limits: { cpu: "50m", memory: "16Mi" } },
      })),
    },
  };
}
