import type { Database } from "@kube9/db";
import type { Logger } from "../logger.js";
import { LoopController } from "./controller.js";

/** How long the 10 s usage history is kept. */
export const HISTORY_RETENTION_MS = 24 * 60 * 60 * 1000;
const PASS_MS = 60_000;

/** Usage retention: once a minute deletes history older than 24 hours. Only the leader, so replicas do not repeat it. */
export class UsageRetentionController extends LoopController {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {
    super("usage-retention", PASS_MS, log);
  }

  override start(): void {
    super.start();
    void this.tick();
  }

  protected async pass(): Promise<void> {
    const removed = await this.db.usage.deleteBefore(this.now() - HISTORY_RETENTION_MS);
    if (removed > 0) this.log.debug(`usage retention removed ${removed} rows older than 24 h`);
  }
}
