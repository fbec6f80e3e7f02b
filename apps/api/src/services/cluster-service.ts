import { validateHealthConfig, type HealthConfig, type PolicyName } from "@kube9/core";
import type { Database } from "@kube9/db";
import type { ClusterCache } from "../cache/cluster-cache.js";
import { invalid } from "../errors.js";
import type { EventRecorder } from "../event-recorder.js";

export interface ClusterServiceDeps {
  db: Database;
  cache: ClusterCache;
  events: EventRecorder;
}

/** Cluster settings: the default scheduling algorithm and the health timings. */
export class ClusterService {
  constructor(private readonly deps: ClusterServiceDeps) {}

  /** Changes the cluster's default scheduling algorithm. */
  async setAlgorithm(algorithm: PolicyName): Promise<{ algorithm: PolicyName; previous: PolicyName }> {
    const { db, cache, events } = this.deps;
    const previous = cache.settings.algorithm;
    cache.setSettings(await db.cluster.update({ algorithm }));
    await events.cluster("AlgorithmChanged", `scheduling algorithm ${previous} -> ${algorithm}`);
    return { algorithm, previous };
  }

  /** Changes health timings (judged as a whole); agents learn the interval from their next heartbeat answer. */
  async setHealth(patch: Partial<HealthConfig>): Promise<HealthConfig> {
    const { db, cache, events } = this.deps;
    const merged = { ...cache.settings.health, ...patch };
    const errors = validateHealthConfig(merged);
    if (errors.length > 0) throw invalid(errors.join("; "));
    cache.setSettings(await db.cluster.update({ health: merged }));
    await events.cluster("HealthConfigChanged", JSON.stringify(patch));
    return merged;
  }
}
