import type { ClusterCache } from "../cache/cluster-cache.js";
import type { Logger } from "../logger.js";
import type { NamespaceService } from "../services/namespace-service.js";
import { LoopController } from "./controller.js";

const PASS_MS = 1000;

/**
 * Namespace deletion, level-triggered (Kubernetes' namespace controller): every Terminating namespace has its
 * remaining pods and policies deleted and goes once no pod is left. A leader that starts finishes deletions a
 * previous one began. See docs/architecture.md, "Network policies".
 */
export class NamespaceController extends LoopController {
  constructor(
    private readonly cache: ClusterCache,
    private readonly namespaces: NamespaceService,
    private readonly log: Logger,
  ) {
    super("namespace", PASS_MS, log);
  }

  protected async pass(): Promise<void> {
    for (const ns of this.cache.namespaces()) {
      if (ns.status !== "Terminating") continue;
      try {
        await this.namespaces.finish(ns.name);
      } catch (err) {
        this.log.warn(`deleting namespace ${ns.name} did not finish yet`, { err: String(err) });
      }
    }
  }
}
