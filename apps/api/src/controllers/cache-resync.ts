import type { ClusterCache } from "../cache/cluster-cache.js";
import type { Logger } from "../logger.js";
import { LoopController, scaledIntervalMs } from "./controller.js";

const NODES_EVERY_MS = 1000;
/** Every pod is re-read this often (passes); between, only the pods written since the last read. */
const PODS_EVERY = 5;
/** Between full node reads, only changed rows and the leases of nodes this process is not hearing from are read. */
const FULL_NODES_EVERY = 10;

/**
 * Cache resync: re-reads settings, the nodes and pods that changed (and the leases of the nodes whose beats
 * go to another process) every second, every node every ten seconds (less often past 2,500 nodes) and every
 * pod every five seconds, so the
 * cache (and the scheduler's index, the explanations, the heartbeat answers and the watchers it feeds) see
 * what other API processes changed within about a second. Runs in every process, leader or not.
 */
export class CacheResync extends LoopController {
  private passes = 0;
  private lastFull = 0;

  constructor(
    private readonly cache: ClusterCache,
    log: Logger,
    /** The nodes whose beats this process has not been hearing (their leases may move elsewhere); every node when absent. */
    private readonly quietNodes?: () => string[],
  ) {
    super("cache-resync", NODES_EVERY_MS, log);
  }

  protected async pass(): Promise<void> {
    // Every ten passes; past 2,500 nodes less often in proportion (every minute at 10,000 nodes and more):
    // the changed-rows reads in between carry every change, the full read only catches what they missed.
    const every = Math.round(scaledIntervalMs(FULL_NODES_EVERY * NODES_EVERY_MS, this.cache.nodeCount(), 60_000) / NODES_EVERY_MS);
    const full = this.passes - this.lastFull >= every || this.passes === 0;
    if (full) this.lastFull = this.passes;
    await this.cache.resyncNodes(full, this.quietNodes?.());
    await this.cache.resyncPods(this.passes % PODS_EVERY === 0);
    this.passes++;
  }
}
