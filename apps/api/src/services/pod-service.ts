import { coresToMilli, type Labels, type PolicyName } from "@kube9/core";
import { ConflictError, type Database } from "@kube9/db";
import type { ClusterCache } from "../cache/cluster-cache.js";
import type { SchedulerController } from "../controllers/scheduler.js";
import { toPodDTO, type PodDTO } from "../dto.js";
import { conflict, notFound } from "../errors.js";
import type { EventRecorder } from "../event-recorder.js";
import { randomSuffix } from "../tokens.js";

/** What a user gives to launch a pod (cores as users speak them). */
export interface LaunchPodInput {
  name?: string;
  cpu: number;
  memoryMiB?: number;
  algorithm?: PolicyName;
  labels?: Labels;
  nodeSelector?: Labels;
}

export interface PodServiceDeps {
  db: Database;
  cache: ClusterCache;
  events: EventRecorder;
  scheduler: SchedulerController;
  now: () => number;
}

/** Pod operations users ask for: launch (placed at once when something fits) and delete. */
export class PodService {
  constructor(private readonly deps: PodServiceDeps) {}

  /** Creates a pod and tries to place it at once; a pod that fits nowhere stays Pending with the reason. */
  async launch(input: LaunchPodInput): Promise<{ pod: PodDTO; scheduled: boolean; message: string }> {
    const { db, scheduler, now } = this.deps;
    const name = input.name ?? `pod-${randomSuffix()}`;
    const request = { cpuMilli: coresToMilli(input.cpu), memoryMiB: input.memoryMiB ?? 0 };
    const nodeSelector = input.nodeSelector ?? {};
    const labels = input.labels ?? {};
    const algorithm = input.algorithm ?? null;
    try {
      const placed = await scheduler.launch({ request, nodeSelector, algorithm }, (bindTo) =>
        db.pods.create({ name, request, labels, nodeSelector, algorithm, now: now(), bindTo }),
      );
      return { pod: toPodDTO(placed.pod), scheduled: placed.scheduled, message: placed.message };
    } catch (err) {
      if (err instanceof ConflictError) throw conflict("pod", name);
      throw err;
    }
  }

  /** Deletes a pod and frees its reservation; waiting pods may then fit. */
  async delete(name: string): Promise<PodDTO> {
    const { db, cache, events, scheduler, now } = this.deps;
    const pod = await cache.findPod(name);
    const deleted = pod ? await db.pods.delete(pod.id, now()) : null;
    if (!deleted) throw notFound("pod", name);
    if (deleted.nodeId && deleted.status !== "Pending") cache.addAllocation(deleted.nodeId, deleted.request, -1);
    await events.pod("Normal", "PodDeleted", deleted, "pod deleted");
    cache.dropPod(deleted.id);
    scheduler.kick();
    return toPodDTO(deleted);
  }
}
