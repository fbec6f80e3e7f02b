import type { ClusterCache } from "../cache/cluster-cache.js";
import type { Logger } from "../logger.js";
import type { NetpolDataplane } from "../netpol/dataplane.js";
import type { Controller } from "./controller.js";

/** Changes that arrive together (a manifest of several policies, a namespace's pods) make one round of pokes. */
const DEBOUNCE_MS = 10;

/**
 * Policy changes take effect within a second, not at the next heartbeat: whenever something a firewall depends
 * on changes (the cache's `netpol` event), every enforcing node whose applied revision is now outdated is asked to
 * beat at once (its kubelet's /sync), and its heartbeat answer carries the new firewalls. Runs on every API
 * process: agents beat to whichever one they talk to. See docs/architecture.md, "Network policies".
 */
export class NetpolSyncController implements Controller {
  readonly name = "netpol-sync";
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly onChange = () => this.schedule();

  constructor(
    private readonly cache: ClusterCache,
    private readonly dataplane: NetpolDataplane,
    private readonly poke: (nodeId: string) => void,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.cache.changes.on("netpol", this.onChange);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.cache.changes.off("netpol", this.onChange);
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (!this.running || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        for (const nodeId of this.dataplane.outdatedNodes()) this.poke(nodeId);
      } catch (err) {
        this.log.error("telling nodes of a policy change failed", { err: String(err) });
      }
    }, DEBOUNCE_MS);
  }
}
