import type { LeaseBuffer } from "../lease-buffer.js";
import type { Logger } from "../logger.js";
import { LoopController } from "./controller.js";

const FLUSH_MS = 500;

/**
 * Lease writer: heartbeats are kept in memory (the hot path writes no row) and written to the lease
 * table twice a second in one statement, so other processes and restarts see them. Runs in every process.
 */
export class LeaseWriter extends LoopController {
  constructor(
    private readonly leases: LeaseBuffer,
    private readonly log: Logger,
  ) {
    super("lease-writer", FLUSH_MS, log);
  }

  /** Stops and writes what is buffered. */
  override async stop(): Promise<void> {
    await super.stop();
    await this.pass();
  }

  /** Writes buffered beats now; a failure keeps them for the next flush. */
  protected async pass(): Promise<void> {
    try {
      await this.leases.flush();
    } catch (err) {
      this.log.warn("writing heartbeat leases failed; will retry", { err: String(err) });
    }
  }
}
