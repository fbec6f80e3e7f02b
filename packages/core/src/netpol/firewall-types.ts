// The compiled form of the NetworkPolicies that apply to one pod, as its node's dataplane enforces them: selectors and
// named ports resolved against the cluster's pods into addresses and port numbers, like the IP sets a CNI agent
// (Calico's Felix, Cilium's agent) programs. The API compiles (compilePodFirewall), the node agent renders the rules
// into nftables inside the pod's network namespace; see docs/architecture.md, "Network policies".

import type { NetpolProtocol } from "./types.js";

/** An inclusive range of ports of one protocol (a single port has from === to). */
export interface FirewallPortRange {
  protocol: NetpolProtocol;
  from: number;
  to: number;
}

/** Addresses a rule matches: a CIDR (a single pod is its IP /32, /128 for IPv6) minus the `except` CIDRs. */
export interface FirewallPeer {
  cidr: string;
  except: string[];
}

/**
 * One allow rule. `peers: null` = any address; `ports: null` = every port of every protocol. An empty array is never
 * written: a rule whose peers or ports resolved to nothing allows nothing and is left out.
 */
export interface FirewallRule {
  peers: FirewallPeer[] | null;
  ports: FirewallPortRange[] | null;
}

/**
 * One pod's firewall. A direction that is `null` is not isolated (everything passes); an array lists every way in
 * (out) and an empty array lets nothing through. Replies to allowed connections always pass (conntrack), and so does
 * the pod's own loopback.
 */
export interface PodFirewall {
  ingress: FirewallRule[] | null;
  egress: FirewallRule[] | null;
}

/** What an agent says of its policy dataplane with every heartbeat. */
export interface NetpolReport {
  /** The revision of the firewalls it applied in full ("" before the first). */
  revision: string;
  /** "nftables" when it enforces policies in pod namespaces; "none" when it cannot, with the reason. */
  enforcement: "nftables" | "none";
  reason?: string;
}

/** The firewalls of every pod of one node, sent in a heartbeat answer when the node's revision differs. */
export interface NetpolAssignment {
  revision: string;
  /** Per pod id; a desired pod that is missing here is not isolated in either direction. */
  firewalls: Record<string, PodFirewall>;
}

/** A firewall that isolates nothing. */
export const OPEN_FIREWALL: PodFirewall = Object.freeze({ ingress: null, egress: null }) as PodFirewall;
