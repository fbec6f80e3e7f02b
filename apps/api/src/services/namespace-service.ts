import { DEFAULT_NAMESPACE, NAMESPACE_NAME_LABEL, parseNamespaceManifest, validateNamespace, type Labels } from "@kube9/core";
import { ConflictError, type NamespaceRecord } from "@kube9/db";
import { DomainError, invalid } from "../errors.js";
import type { PodService } from "./pod-service.js";
import type { ServiceContext } from "./service-context.js";

/** A namespace as users see it: its labels (with kubernetes.io/metadata.name), phase and contents. */
export interface NamespaceDTO {
  name: string;
  labels: Labels;
  status: "Active" | "Terminating";
  pods: number;
  networkPolicies: number;
  createdAt: string;
}

export interface NamespaceServiceDeps extends ServiceContext {
  pods: PodService;
}

/** Namespaces: create (by name or manifest), relabel, list, delete with everything in them. */
export class NamespaceService {
  constructor(private readonly deps: NamespaceServiceDeps) {}

  /** Every namespace, by name. */
  list(): NamespaceDTO[] {
    return this.deps.cache.namespaces().map((n) => this.dto(n));
  }

  /** One namespace. */
  async get(name: string): Promise<NamespaceDTO> {
    return this.dto(await this.existing(name));
  }

  /** `kube9 create namespace`: a new namespace; a taken name is a conflict, as in Kubernetes. */
  async create(name: string, labels: Labels = {}): Promise<NamespaceDTO> {
    const clean = checkedLabels(name, labels);
    const { db, cache, events, now } = this.deps;
    try {
      const made = await db.namespaces.create(name, clean, now());
      cache.putNamespace(made);
      await events.namespace("Normal", "Created", name, `namespace ${name} created`);
      return this.dto(made);
    } catch (err) {
      if (err instanceof ConflictError) throw new DomainError("conflict", `namespace "${name}" already exists`);
      throw err;
    }
  }

  /** `kube9 apply -f` of a Namespace manifest: creates it, or sets its labels to the manifest's. */
  async apply(manifest: unknown): Promise<{ namespace: NamespaceDTO; action: "created" | "configured" | "unchanged" }> {
    const parsed = parseNamespaceManifest(manifest);
    if (!parsed.ok) throw invalid(parsed.errors.map((e) => e.message).join("; "));
    const { name, labels } = parsed.namespace;
    const known = await this.deps.cache.findNamespace(name);
    if (!known) return { namespace: await this.create(name, labels), action: "created" };
    if (sameLabels(known.labels, labels)) return { namespace: this.dto(known), action: "unchanged" };
    return { namespace: await this.label(name, labels), action: "configured" };
  }

  /** Replaces a namespace's labels (policies selecting namespaces see the change at once). */
  async label(name: string, labels: Labels): Promise<NamespaceDTO> {
    const clean = checkedLabels(name, labels);
    const ns = await this.existing(name);
    if (ns.status === "Terminating") throw terminating(name);
    const { db, cache, events, now } = this.deps;
    const updated = await db.namespaces.setLabels(name, clean, now());
    if (!updated) throw terminating(name);
    cache.putNamespace(updated);
    await events.namespace("Normal", "Labeled", name, `labels ${formatLabels(ns.labels)} -> ${formatLabels(clean)}`);
    return this.dto(updated);
  }

  /**
   * Deletes a namespace as Kubernetes does: it turns Terminating (no new content), its policies and pods are
   * deleted (pods gracefully), and it goes once no pod is left; the namespace controller finishes what this
   * request could not.
   */
  async delete(name: string): Promise<NamespaceDTO> {
    if (name === DEFAULT_NAMESPACE) throw new DomainError("precondition", `namespace "${DEFAULT_NAMESPACE}" cannot be deleted`);
    await this.existing(name);
    const { db, cache, events, now } = this.deps;
    const marked = await db.namespaces.markTerminating(name, now());
    if (!marked) throw notFoundNs(name);
    cache.putNamespace(marked);
    await events.namespace("Normal", "Terminating", name, `namespace ${name} is being deleted with its pods and network policies`);
    await this.finish(name);
    return this.dto(cache.namespace(name) ?? marked);
  }

  /** One step of deleting a Terminating namespace: delete its policies and pods, then the namespace once empty. */
  async finish(name: string): Promise<boolean> {
    const { db, cache, events } = this.deps;
    for (const p of cache.policies(name)) {
      if (await db.networkPolicies.delete(p.namespace, p.name)) cache.dropPolicy(p.namespace, p.name);
    }
    for (const pod of cache.pods().filter((p) => p.namespace === name && p.status !== "Terminating")) {
      try {
        await this.deps.pods.deletePod(pod);
      } catch (err) {
        // Gone already (another request deleted it): nothing left to do for it.
        if (!(err instanceof DomainError && err.kind === "not-found")) throw err;
      }
    }
    if (!(await db.namespaces.deleteIfEmpty(name))) return false;
    cache.dropNamespace(name);
    await events.namespace("Normal", "Deleted", name, `namespace ${name} deleted`);
    return true;
  }

  private async existing(name: string): Promise<NamespaceRecord> {
    const ns = await this.deps.cache.findNamespace(name);
    if (!ns) throw notFoundNs(name);
    return ns;
  }

  private dto(n: NamespaceRecord): NamespaceDTO {
    const { cache } = this.deps;
    return {
      name: n.name,
      labels: { ...n.labels, [NAMESPACE_NAME_LABEL]: n.name },
      status: n.status,
      pods: cache.pods().filter((p) => p.namespace === n.name).length,
      networkPolicies: cache.policies(n.name).length,
      createdAt: new Date(n.createdAt).toISOString(),
    };
  }
}

function checkedLabels(name: string, labels: Labels): Labels {
  const checked = validateNamespace(name, labels);
  if (!checked.ok) throw invalid(checked.errors.map((e) => e.message).join("; "));
  return checked.namespace.labels;
}

function notFoundNs(name: string): DomainError {
  return new DomainError("not-found", `namespace "${name}" not found`);
}

function terminating(name: string): DomainError {
  return new DomainError("precondition", `namespace "${name}" is being terminated: it cannot be changed`);
}

function sameLabels(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

function formatLabels(l: Labels): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(",") : "<none>";
}
