import type { Database } from "@kube9/db";
import type { ClusterCache } from "../cache/cluster-cache.js";
import type { EventRecorder } from "../event-recorder.js";
import type { LeaseBuffer } from "../lease-buffer.js";
import type { ControlPlaneMetrics } from "../metrics.js";

/** What every service writes and reads with: the database first, then the cache, with events, on one clock. */
export interface ServiceContext {
  db: Database;
  cache: ClusterCache;
  events: EventRecorder;
  now: () => number;
}

/** Services on the heartbeat side: they also see the lease buffer and the metrics, and free capacity. */
export interface NodeSideContext extends ServiceContext {
  leases: LeaseBuffer;
  metrics?: ControlPlaneMetrics;
  /** Capacity may have appeared: ask the scheduler for a pass soon. */
  kickScheduler: () => void;
}
