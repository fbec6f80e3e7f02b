import type { Database } from "@kube9/db";
import type { Logger } from "../logger.js";
import { LoopController } from "./controller.js";

/** How often the lease is taken or confirmed. */
const LEADER_RETRY_MS = 2000;

export interface LeaderElectionDeps {
  db: Database;
  now: () => number;
  log: Logger;
  /** Called once each time this process becomes the leader (after the lease is taken). */
  onElected: () => Promise<void>;
  /** Called when the lease is lost; the leader-only controllers must stop. */
  onDeposed: () => Promise<void>;
  /** Told, on every tick, the addresses of the other live API processes on the database. */
  onPeers?: (peers: string[]) => void;
}

/**
 * Leader election: the controllers that change cluster state run in one API process at a time, the
 * holder of the database's leader lease (a PostgreSQL session advisory lock; PGlite always leads).
 * A leader asks again every tick too, because the lease lives on a database session that can die. Each
 * tick also learns which other API processes are alive (their presence on the database), for the agents.
 */
export class LeaderElection extends LoopController {
  private leading = false;
  private since = 0;

  constructor(private readonly deps: LeaderElectionDeps) {
    super("leader-election", LEADER_RETRY_MS, deps.log);
  }

  /** Whether this process leads now. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** When this process became leader (0 if it does not lead): nodes get a full period from then before being judged. */
  get leaderSince(): number {
    return this.leading ? this.since : 0;
  }

  /** Gives the lease up so another process can lead. */
  async resign(): Promise<void> {
    if (this.leading) await this.deps.db.releaseLeadership();
    this.leading = false;
  }

  /** Takes or confirms the lease once. stop() keeps the lease until resign(), so no other process leads while this one winds down. */
  protected async pass(): Promise<void> {
    let holds = false;
    try {
      holds = await this.deps.db.tryAcquireLeadership();
      this.deps.onPeers?.(await this.deps.db.peers());
    } catch (err) {
      this.deps.log.warn("leader election failed", { err: String(err) });
    }
    if (this.leading && !holds) {
      this.leading = false;
      this.deps.log.warn("lost the controllers' leader lease; another API process may lead now");
      await this.deps.onDeposed();
      return;
    }
    if (this.leading || !holds) return;
    this.leading = true;
    this.since = this.deps.now();
    this.deps.log.info("this API process leads the controllers");
    await this.deps.onElected();
  }
}
