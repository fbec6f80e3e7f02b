import { randomUUID } from "node:crypto";
import { DEFAULT_ALERTING_SETTINGS, DEFAULT_AUTOSCALER_SETTINGS, DEFAULT_HEALTH_CONFIG, DEFAULT_POLICY } from "@kube9/core";
import type { HealthConfig, PolicyName } from "@kube9/core";
import type { SqlEntityManager } from "@mikro-orm/postgresql";
import { ClusterEntity } from "../entities.js";
import type { ClusterPatch, ClusterRecord, ClusterRepository } from "../types.js";

// Stored settings over the defaults, so settings added in a later version get their default.
function mergeHealth(defaults: Readonly<HealthConfig>, stored: Partial<HealthConfig> | null | undefined): HealthConfig {
  return { ...defaults, ...(stored ?? {}) };
}

/** The cluster-settings singleton, through MikroORM: it is read and written rarely, so no hand-written SQL. */
export class OrmClusterRepository implements ClusterRepository {
  constructor(private readonly newEm: () => SqlEntityManager) {}

  async get(): Promise<ClusterRecord> {
    const em = this.newEm();
    let [row] = await em.find(ClusterEntity, {}, { limit: 1 });
    if (!row) {
      // Two processes may both see no row; the singleton index makes the loser a no-op.
      await em
        .createQueryBuilder(ClusterEntity)
        .insert({
          id: randomUUID(),
          algorithm: DEFAULT_POLICY,
          health: { ...DEFAULT_HEALTH_CONFIG },
          adminTokenHash: null,
          alerting: null,
          autoscaler: null,
          // The one write on the process clock: get() has no caller's `now` to take.
          createdAt: new Date(),
        })
        .onConflict()
        .ignore()
        .execute();
      [row] = await em.find(ClusterEntity, {}, { limit: 1 });
      if (!row) throw new Error("cluster row missing after insert");
    }
    return {
      id: row.id,
      algorithm: row.algorithm as PolicyName,
      health: mergeHealth(DEFAULT_HEALTH_CONFIG, row.health),
      adminTokenHash: row.adminTokenHash ?? null,
      alerting: { ...DEFAULT_ALERTING_SETTINGS, ...(row.alerting ?? {}) },
      autoscaler: { ...DEFAULT_AUTOSCALER_SETTINGS, ...(row.autoscaler ?? {}) },
      createdAt: row.createdAt.getTime(),
    };
  }

  async update(patch: ClusterPatch): Promise<ClusterRecord> {
    await this.get();
    const em = this.newEm();
    const [row] = await em.find(ClusterEntity, {}, { limit: 1 });
    if (!row) throw new Error("cluster row missing");
    if (patch.algorithm !== undefined) row.algorithm = patch.algorithm;
    if (patch.health !== undefined) row.health = { ...patch.health };
    if (patch.adminTokenHash !== undefined) row.adminTokenHash = patch.adminTokenHash;
    if (patch.autoscaler !== undefined) row.autoscaler = { ...patch.autoscaler };
    if (patch.alerting !== undefined) row.alerting = { rules: patch.alerting.rules.map((r) => ({ ...r })), webhookUrl: patch.alerting.webhookUrl };
    await em.flush();
    return this.get();
  }
}
