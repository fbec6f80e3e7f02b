import { OPEN_FIREWALL, type NetpolAssignment, type NetpolReport, type PodFirewall } from "@kube9/core";
import type { AgentLogger } from "../log.js";
import { unavailableEnforcer, type PolicyEnforcer } from "../network/nftables.js";

// The node's side of NetworkPolicies: the firewalls the API assigned to its pods (level-triggered, the whole set per
// revision, sent only when the node reports another revision), put in force in every pod namespace that exists, and
// the revision the node has in force in full, which it reports so that the API stops resending it.

/** A pod whose namespace exists. */
export interface PodSandbox {
  id: string;
  netns: string;
}

/** The API's schema caps a report's reason. */
const MAX_REASON = 1000;

/** The latest firewall per pod and what of it is in force. */
export class PodFirewalls {
  private firewalls = new Map<string, PodFirewall>();
  /** The revision of `firewalls` (undefined until the API sent one). */
  private received: string | undefined;
  /** The last revision in force in every pod namespace ("" before the first). */
  private applied = "";
  /** Grows with each assignment: a round that ends after a newer one began says nothing about it. */
  private generation = 0;
  private rounds = 0;
  /** The revision whose failure was logged already (one warning per revision, not one per retry). */
  private warned: string | undefined;
  private enforcer: PolicyEnforcer = unavailableEnforcer("the node has not registered yet");

  constructor(
    private readonly log: AgentLogger,
    /** The pods whose namespace exists now. */
    private readonly sandboxes: () => PodSandbox[],
    /** The applied revision changed: worth a heartbeat. */
    private readonly onApplied: () => void,
  ) {}

  /** Uses `enforcer` from now on (once the pod network is known). */
  setEnforcer(enforcer: PolicyEnforcer): void {
    this.enforcer = enforcer;
  }

  /** Takes a heartbeat answer's assignment (undefined: nothing changed) and puts what changed in force. */
  update(assignment: NetpolAssignment | undefined): void {
    if (assignment) {
      this.firewalls = new Map(Object.entries(assignment.firewalls));
      this.received = assignment.revision;
      this.generation++;
    } else if (this.received === undefined || this.received === this.applied || this.rounds > 0) {
      return;
    }
    // A new revision, or the retry of one that failed (at heartbeat pace).
    if (this.enforcer.available) void this.round();
  }

  /** Puts a pod's current firewall in force in its namespace (a pod missing from the assignment is open). */
  secure(podId: string, netns: string): Promise<void> {
    // A node that cannot enforce runs its pods open (and says so in every report).
    if (!this.enforcer.available) return Promise.resolve();
    return this.enforcer.apply(podId, netns, this.firewalls.get(podId) ?? OPEN_FIREWALL);
  }

  /** Puts a pod's firewall in force in a namespace just made for it (perhaps made again, with the same name). */
  secureNew(podId: string, netns: string): Promise<void> {
    this.enforcer.forget(podId);
    return this.secure(podId, netns);
  }

  /** The pod's namespace is gone. */
  forget(podId: string): void {
    this.enforcer.forget(podId);
  }

  /** What the next heartbeat says of the dataplane. */
  report(): NetpolReport {
    if (!this.enforcer.available) {
      // The revision is echoed so that the API does not resend firewalls this node can never apply.
      return { revision: this.received ?? "", enforcement: "none", reason: (this.enforcer.reason ?? "").slice(0, MAX_REASON) };
    }
    return { revision: this.applied, enforcement: "nftables" };
  }

  private async round(): Promise<void> {
    const generation = this.generation;
    const revision = this.received!;
    const pods = this.sandboxes();
    this.rounds++;
    let results: PromiseSettledResult<void>[];
    try {
      results = await Promise.allSettled(pods.map((p) => this.secure(p.id, p.netns)));
    } finally {
      this.rounds--;
    }
    if (generation !== this.generation) return;
    // A namespace torn down meanwhile took its rules with it: not a failure.
    const live = new Set(this.sandboxes().map((p) => `${p.id} ${p.netns}`));
    const failed = pods.flatMap((p, i) => {
      const r = results[i]!;
      return r.status === "rejected" && live.has(`${p.id} ${p.netns}`) ? [`${p.id}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`] : [];
    });
    if (failed.length > 0) {
      if (this.warned !== revision) this.log.warn(`NetworkPolicy revision ${revision} not in force yet (${failed.join("; ")}); retrying`);
      this.warned = revision;
      return;
    }
    if (this.applied === revision) return;
    this.applied = revision;
    this.onApplied();
  }
}
