import type { LeaseBuffer } from "../lease-buffer.js";
import type { Logger } from "../logger.js";
import { Loop, type Controller } from "./controller.js";

const FLUSH_MS = 500;

/**
 * Lease writer: heartbeats are kept in memory (the hot path writes no row) and written to the lease
 * table twice a second in one statement, so other processes and restarts see them. Runs in every process.
 */
export class LeaseWriter implements Controller {
  readonly name = "lease-writer";
  private readonly loop: Loop;

  constructor(
    private readonly leases: LeaseBuffer,
    private readonly log: Logger,
  ) {
    this.loop = new Loop(this.name, FLUSH_MS, () => this.flush(), log);
  }

  start(): void {
    this.loop.start();
  }

  /** Stops and writes what is buffered. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await this.flush();
  }

  /** Writes buffered beats now; a failure keeps them for the next flush. */
  async flush(): Promise<void> {
    try {
      await this.leases.flush();
    } catch (err) {
      this.log.warn("writing heartbeat leases failed; will retry", { err: String(err) });
    }
  }
}
