import { coresToMilli, DEFAULT_NAMESPACE, parsePodManifest, podRequest, type Labels, type PodSpec, type PolicyName, type RestartPolicy } from "@kube9/core";
import { ConflictError, NotFoundError, type PodRecord } from "@kube9/db";
import type { SchedulerController } from "../controllers/scheduler.js";
import { toPodDTO, type PodDTO } from "../dto.js";
import { conflict, DomainError, invalid, notFound } from "../errors.js";
import { removeOrphanPodNetns } from "../runtime/pod-netns.js";
import { randomSuffix } from "../tokens.js";
import { PodCreateBatcher } from "./pod-create-batcher.js";
import type { ServiceContext } from "./service-context.js";

/** What a user gives to launch a pod (cores as users speak them); with an image it runs one container. */
export interface LaunchPodInput {
  name?: string;
  /** Default "default". */
  namespace?: string;
  cpu?: number;
  memoryMiB?: number;
  algorithm?: PolicyName;
  labels?: Labels;
  nodeSelector?: Labels;
  image?: string;
  command?: string[];
  args?: string[];
  limitCpu?: number;
  limitMemoryMiB?: number;
  restartPolicy?: RestartPolicy;
  env?: Record<string, string>;
}

export interface PodServiceDeps extends ServiceContext {
  scheduler: SchedulerController;
  /** A pod's node has news (its pod is being deleted): tell it now, not at its next heartbeat. */
  notifyNode?: (nodeId: string) => void;
}

type Launched = { pod: PodDTO; scheduled: boolean; message: string };

/** One item of launchMany: what launch returned, or what it threw. */
export type LaunchResult = { ok: true; launched: Launched } | { ok: false; error: unknown };

/** launchMany starts this many launches, then lets other work run before the next chunk. */
const LAUNCH_CHUNK = 100;

/** Node statuses whose agent may still be running a pod's containers (so a delete waits for it to stop them). */
const NODE_MAY_RUN = new Set(["Ready", "Suspect", "Cordoned", "Recovering"]);

/** Pod operations users ask for: launch, apply a manifest (placed at once when something fits), and delete. */
export class PodService {
  private readonly creates: PodCreateBatcher;

  constructor(private readonly deps: PodServiceDeps) {
    this.creates = new PodCreateBatcher(deps.db.pods);
  }

  /** Creates a pod and tries to place it at once; a pod that fits nowhere stays Pending with the reason. */
  async launch(input: LaunchPodInput): Promise<Launched> {
    const name = input.name ?? `pod-${randomSuffix()}`;
    const namespace = await this.activeNamespace(input.namespace ?? DEFAULT_NAMESPACE);
    if (input.image === undefined) {
      const request = { cpuMilli: coresToMilli(input.cpu ?? 0), memoryMiB: input.memoryMiB ?? 0 };
      return this.create({ name, namespace }, input.labels ?? {}, input.nodeSelector ?? {}, input.algorithm ?? null, request, undefined);
    }
    // One container named after the pod, as `kubectl run` makes it; core's manifest rules normalize it.
    const resources = (cpu?: number, mib?: number) => ({
      ...(cpu === undefined ? {} : { cpu: `${coresToMilli(cpu)}m` }),
      ...(mib === undefined ? {} : { memory: `${mib}Mi` }),
    });
    const parsed = parsePodManifest({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, ...(input.labels ? { labels: input.labels } : {}) },
      spec: {
        containers: [
          {
            name,
            image: input.image,
            ...(input.command ? { command: input.command } : {}),
            ...(input.args ? { args: input.args } : {}),
            env: Object.entries(input.env ?? {}).map(([k, v]) => ({ name: k, value: v })),
            resources: { requests: resources(input.cpu, input.memoryMiB), limits: resources(input.limitCpu, input.limitMemoryMiB) },
          },
        ],
        ...(input.restartPolicy ? { restartPolicy: input.restartPolicy } : {}),
        ...(input.nodeSelector ? { nodeSelector: input.nodeSelector } : {}),
      },
    });
    if (!parsed.ok) throw invalid(parsed.errors.map((e) => e.message).join("; "));
    const { spec } = parsed.pod;
    return this.create({ name, namespace }, input.labels ?? {}, spec.nodeSelector, input.algorithm ?? null, podRequest(spec), spec);
  }

  /**
   * Launches many pods, each as launch would (same defaults, same errors), in order: the picks are made
   * in item order and the inserts share statements. One item's error does not stop the others.
   */
  async launchMany(items: LaunchPodInput[]): Promise<LaunchResult[]> {
    const results: Array<Promise<LaunchResult>> = [];
    for (const [i, item] of items.entries()) {
      // Picks are synchronous: a thousand in a row would hold the event loop (and the heartbeats waiting
      // on it) for their whole length, so each chunk of picks is followed by a turn for everything else.
      if (i > 0 && i % LAUNCH_CHUNK === 0) await new Promise((resolve) => setImmediate(resolve));
      results.push(
        this.launch(item).then(
          (launched): LaunchResult => ({ ok: true, launched }),
          (error: unknown): LaunchResult => ({ ok: false, error }),
        ),
      );
    }
    return Promise.all(results);
  }

  /** Creates a pod from a Kubernetes Pod manifest; the same manifest again changes nothing (pods are immutable). */
  async apply(manifest: unknown, namespaceOverride?: string): Promise<Launched & { action: "created" | "unchanged" }> {
    const parsed = parsePodManifest(manifest);
    if (!parsed.ok) throw invalid(parsed.errors.map((e) => e.message).join("; "));
    const { name, labels, spec } = parsed.pod;
    const stated = typeof (manifest as { metadata?: { namespace?: unknown } }).metadata?.namespace === "string";
    // kubectl: -n that disagrees with the manifest's own namespace is an error, not a silent choice.
    if (namespaceOverride !== undefined && stated && parsed.pod.namespace !== namespaceOverride) {
      throw invalid(`the namespace from the provided object "${parsed.pod.namespace}" does not match the namespace "${namespaceOverride}". You must pass '--namespace=${parsed.pod.namespace}' to perform this operation.`);
    }
    const namespace = namespaceOverride ?? parsed.pod.namespace;
    const existing = await this.deps.cache.findPod(namespace, name);
    if (existing) {
      if (canonicalJson([existing.spec, existing.labels]) !== canonicalJson([spec, labels])) {
        const ns = namespace === DEFAULT_NAMESPACE ? "" : ` -n ${namespace}`;
        throw new DomainError("conflict", `pod "${name}" exists with a different spec; pods are immutable: delete it first (kube9 delete pod ${name}${ns})`);
      }
      return { pod: toPodDTO(existing), scheduled: existing.status !== "Pending", message: "unchanged", action: "unchanged" };
    }
    await this.activeNamespace(namespace);
    const launched = await this.create({ name, namespace }, labels, spec.nodeSelector, null, podRequest(spec), spec);
    return { ...launched, action: "created" };
  }

  /** The namespace, when it exists and takes new pods (not Terminating), as Kubernetes' admission checks. */
  private async activeNamespace(namespace: string): Promise<string> {
    const ns = await this.deps.cache.findNamespace(namespace);
    if (!ns) throw new DomainError("not-found", `namespace "${namespace}" not found (create it: kube9 create namespace ${namespace})`);
    if (ns.status === "Terminating") {
      throw new DomainError("precondition", `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
    return namespace;
  }

  private async create(
    { name, namespace }: { name: string; namespace: string },
    labels: Labels,
    nodeSelector: Labels,
    algorithm: PolicyName | null,
    request: { cpuMilli: number; memoryMiB: number },
    spec: PodSpec | undefined,
  ): Promise<Launched> {
    const { scheduler, now } = this.deps;
    try {
      const placed = await scheduler.launch({ request, nodeSelector, algorithm }, (bindTo) =>
        this.creates.create({ name, namespace, request, labels, nodeSelector, algorithm, spec, now: now(), bindTo }),
      );
      return { pod: toPodDTO(placed.pod), scheduled: placed.scheduled, message: placed.message };
    } catch (err) {
      if (err instanceof ConflictError) throw conflict("pod", name, namespace);
      // The namespace went between the check and the insert (another API process deleted it).
      if (err instanceof NotFoundError) throw new DomainError("not-found", `namespace "${namespace}" not found`);
      throw err;
    }
  }

  /**
   * Deletes a pod. One with containers on a node that may run them is Terminating until its node has
   * stopped them (SIGTERM, then SIGKILL after the grace period; gracePeriodSeconds 0 deletes at once);
   * others are deleted now and free their room.
   */
  async delete(name: string, gracePeriodSeconds?: number, namespace = DEFAULT_NAMESPACE): Promise<PodDTO> {
    const pod = await this.deps.cache.findPod(namespace, name);
    if (!pod) throw notFound("pod", name, namespace);
    return this.deletePod(pod, gracePeriodSeconds);
  }

  /** `kube9 label pod`: replaces a pod's labels (policies and selectors see the change at once). */
  async label(name: string, labels: Labels, namespace = DEFAULT_NAMESPACE): Promise<PodDTO> {
    const { db, cache, events, now } = this.deps;
    const pod = await cache.findPod(namespace, name);
    if (!pod) throw notFound("pod", name, namespace);
    const updated = await db.pods.setLabels(pod.id, labels, now());
    if (!updated) throw notFound("pod", name, namespace);
    cache.putPod(updated);
    const show = (l: Labels) => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(",") || "<none>";
    await events.pod("Normal", "Labeled", updated, `labels ${show(pod.labels)} -> ${show(labels)}`);
    return toPodDTO(updated);
  }

  /** Deletes a pod the caller found (the namespace controller deletes a namespace's pods this way). */
  async deletePod(pod: PodRecord, gracePeriodSeconds?: number): Promise<PodDTO> {
    const { db, cache, events, now } = this.deps;
    const name = pod.name;
    const node = pod.nodeId ? cache.node(pod.nodeId) : undefined;
    const graceful = pod.spec !== null && gracePeriodSeconds !== 0 && node !== undefined && NODE_MAY_RUN.has(node.status);
    if (graceful && (pod.status === "Scheduled" || pod.status === "Running")) {
      const terminating = await db.pods.markTerminating(pod.id, now());
      if (terminating) {
        cache.putPod(terminating);
        this.deps.notifyNode?.(node.id);
        const grace = pod.spec?.terminationGracePeriodSeconds ?? 0;
        await events.pod("Normal", "Killing", terminating, `stopping the pod's containers (grace period ${grace}s)`);
        return toPodDTO(terminating);
      }
    }
    if (graceful && pod.status === "Terminating") return toPodDTO(pod);
    return toPodDTO(await this.remove(pod, name));
  }

  private async remove(pod: PodRecord, name: string): Promise<PodRecord> {
    const { db, cache, events, scheduler, now } = this.deps;
    const deleted = await db.pods.delete(pod.id, now());
    if (!deleted) throw notFound("pod", name, pod.namespace);
    if (deleted.nodeId && deleted.status !== "Pending" && deleted.status !== "Succeeded" && deleted.status !== "Failed") {
      cache.addAllocation(deleted.nodeId, deleted.request, -1);
    }
    await events.pod("Normal", "PodDeleted", deleted, "pod deleted");
    cache.dropPod(deleted.id);
    if (deleted.spec) removeOrphanPodNetns(deleted.id);
    scheduler.kick();
    return deleted;
  }
}

/** JSON with object keys sorted at every level: a spec read back from jsonb lists its keys in another order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
