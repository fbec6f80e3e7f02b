import {
  formatSelector,
  networkPolicyToManifest,
  parseNetworkPolicyManifest,
  selectorMatches,
  type NetworkPolicy,
  type PolicyType,
} from "@kube9/core";
import type { NetworkPolicyRecord } from "@kube9/db";
import { DomainError, invalid } from "../errors.js";
import type { ServiceContext } from "./service-context.js";

/** Whether the nodes running a policy's pods enforce it (nftables in pod namespaces) or cannot, and why. */
export interface EnforcementDTO {
  /** Nodes that run pods with their own network and enforce policies. */
  enforcing: string[];
  /** Nodes that cannot enforce, each with the reason its agent gave. */
  notEnforcing: Array<{ node: string; reason: string }>;
}

/** A NetworkPolicy as users see it: the manifest as stored (defaults filled in) and what it selects now. */
export interface NetworkPolicyDTO {
  namespace: string;
  name: string;
  uid: string;
  generation: number;
  createdAt: string;
  /** spec.podSelector as kubectl prints it ("{}" = every pod of the namespace). */
  podSelector: string;
  policyTypes: PolicyType[];
  manifest: Record<string, unknown>;
  /** Pods of the namespace the policy selects now. */
  selectedPods: string[];
  enforcement: EnforcementDTO;
}

export interface NetworkPolicyServiceDeps extends ServiceContext {
  /** Which nodes enforce policies now (from their agents' reports). */
  enforcement: () => EnforcementDTO;
}

/** The policy as stored (core's normalized NetworkPolicy). */
export function storedPolicy(r: NetworkPolicyRecord): NetworkPolicy {
  return r.spec as NetworkPolicy;
}

/** NetworkPolicies: apply Kubernetes manifests unchanged, list, describe, delete. Enforcement is the dataplane's. */
export class NetworkPolicyService {
  constructor(private readonly deps: NetworkPolicyServiceDeps) {}

  /** Policies of one namespace, or of all. */
  list(namespace?: string): NetworkPolicyDTO[] {
    return this.deps.cache.policies(namespace).map((p) => this.dto(p));
  }

  /** One policy. */
  get(namespace: string, name: string): NetworkPolicyDTO {
    const p = this.deps.cache.policy(namespace, name);
    if (!p) throw notFound(namespace, name);
    return this.dto(p);
  }

  /** `kube9 apply -f`: creates or replaces a policy from its manifest (Kubernetes' validation errors, naming the field). */
  async apply(manifest: unknown, namespaceOverride?: string): Promise<{ policy: NetworkPolicyDTO; action: "created" | "configured" | "unchanged" }> {
    const parsed = parseNetworkPolicyManifest(manifest);
    if (!parsed.ok) throw invalid(`NetworkPolicy is invalid: ${parsed.errors.map((e) => e.message).join("; ")}`);
    const policy = parsed.policy;
    const stated = hasNamespace(manifest);
    if (namespaceOverride !== undefined) {
      // kubectl: -n that disagrees with the manifest's own namespace is an error, not a silent choice.
      if (stated && policy.namespace !== namespaceOverride) {
        throw invalid(`the namespace from the provided object "${policy.namespace}" does not match the namespace "${namespaceOverride}". You must pass '--namespace=${policy.namespace}' to perform this operation.`);
      }
      policy.namespace = namespaceOverride;
    }
    const { db, cache, events, now } = this.deps;
    const ns = await cache.findNamespace(policy.namespace);
    if (!ns) throw new DomainError("not-found", `namespace "${policy.namespace}" not found`);
    if (ns.status === "Terminating") {
      throw new DomainError("precondition", `unable to create new content in namespace ${policy.namespace} because it is being terminated`);
    }
    const written = await db.networkPolicies.upsert(policy.namespace, policy.name, policy, now());
    if (!written) throw new DomainError("precondition", `namespace "${policy.namespace}" is gone or being terminated`);
    const { record, created, changed } = written;
    if (changed) {
      cache.putPolicy(record);
      const reason = created ? "Created" : "Updated";
      await events.networkPolicy("Normal", reason, policy.namespace, policy.name, `network policy ${policy.namespace}/${policy.name} ${reason.toLowerCase()} (generation ${record.generation})`);
    }
    return { policy: this.dto(record), action: created ? "created" : changed ? "configured" : "unchanged" };
  }

  /** Deletes a policy; new connections are judged without it within a second. */
  async delete(namespace: string, name: string): Promise<NetworkPolicyDTO> {
    const { db, cache, events } = this.deps;
    const gone = await db.networkPolicies.delete(namespace, name);
    if (!gone) throw notFound(namespace, name);
    cache.dropPolicy(namespace, name);
    await events.networkPolicy("Normal", "Deleted", namespace, name, `network policy ${namespace}/${name} deleted`);
    return this.dto(gone);
  }

  private dto(r: NetworkPolicyRecord): NetworkPolicyDTO {
    const p = storedPolicy(r);
    const selected = this.deps.cache
      .pods()
      .filter((pod) => pod.namespace === r.namespace && isLive(pod.status) && selectorMatches(p.podSelector, pod.labels))
      .map((pod) => pod.name);
    return {
      namespace: r.namespace,
      name: r.name,
      uid: r.uid,
      generation: r.generation,
      createdAt: new Date(r.createdAt).toISOString(),
      podSelector: formatSelector(p.podSelector),
      policyTypes: [...p.policyTypes],
      manifest: networkPolicyToManifest(p),
      selectedPods: selected,
      enforcement: this.deps.enforcement(),
    };
  }
}

function isLive(status: string): boolean {
  return status !== "Succeeded" && status !== "Failed";
}

function hasNamespace(manifest: unknown): boolean {
  const meta = (manifest as { metadata?: { namespace?: unknown } } | null)?.metadata;
  return typeof meta?.namespace === "string";
}

function notFound(namespace: string, name: string): DomainError {
  return new DomainError("not-found", `networkpolicy "${name}" not found in namespace "${namespace}"`);
}
