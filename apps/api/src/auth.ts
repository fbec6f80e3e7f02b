import type { Database } from "@kube9/db";
import type { ClusterCache } from "./cache/cluster-cache.js";
import { bootstrapIdOfToken, hashToken, nodeIdOfToken } from "./tokens.js";

/** Who is calling: a person with the admin token, a node agent with its own credential, or nobody. */
export type Caller =
  | { kind: "admin" }
  | { kind: "node"; nodeId: string }
  /** A bootstrap token (`kube9 agent join`): it may only join a node, and only until it expires. */
  | { kind: "bootstrap"; tokenId: string; expiresAt: number }
  | { kind: "anonymous"; why: "missing" | "invalid" };

/** Verified credentials remembered at most; past this the memory starts afresh (a fleet of 10,000 fits). */
const MAX_REMEMBERED = 50_000;

/**
 * Maps bearer tokens to callers. Only hashes are kept: the admin token's in the cluster row (the
 * database's, as the cache holds it: every API process checks the same one, see docs/architecture.md,
 * "Requests and authentication"), and each node's credential hash in its (cached) node row; a node
 * credential carries its node id, so no scan is needed.
 *
 * A token once verified is remembered with the hash it had, so the next request skips hashing; it
 * still counts only while the node's current hash is that one, so a fresh credential (restart,
 * recovery) or a deleted node ends it at once, as without the memory.
 */
export class Authenticator {
  private readonly verified = new Map<string, string>();

  constructor(
    private readonly cache: ClusterCache,
    private readonly db: Database,
  ) {}

  /** Maps a bearer token to a caller. */
  async identify(token: string | undefined): Promise<Caller> {
    if (!token) return { kind: "anonymous", why: "missing" };
    const nodeId = nodeIdOfToken(token);
    if (nodeId) return (await this.verifyNode(nodeId, token)) ? { kind: "node", nodeId } : { kind: "anonymous", why: "invalid" };
    const bootstrapId = bootstrapIdOfToken(token);
    if (bootstrapId) {
      const record = await this.db.bootstrapTokens.get(bootstrapId);
      if (record?.secretHash !== hashToken(token)) return { kind: "anonymous", why: "invalid" };
      return { kind: "bootstrap", tokenId: bootstrapId, expiresAt: record.expiresAt };
    }
    const admin = this.cache.settings.adminTokenHash;
    return admin !== null && hashToken(token) === admin ? { kind: "admin" } : { kind: "anonymous", why: "invalid" };
  }

  /** Whether the token is that node's current credential. */
  async verifyNode(nodeId: string, token: string): Promise<boolean> {
    if (nodeIdOfToken(token) !== nodeId) return false;
    const known = this.verified.get(token);
    if (known !== undefined && this.cache.node(nodeId)?.credentialHash === known) return true;
    const hash = known ?? hashToken(token);
    let ok = this.cache.node(nodeId)?.credentialHash === hash;
    // Issued by another API process, or this process has not seen the node yet: the database decides.
    if (!ok) ok = (await this.db.nodes.get(nodeId))?.credentialHash === hash;
    if (ok) {
      if (this.verified.size >= MAX_REMEMBERED) this.verified.clear();
      this.verified.set(token, hash);
    } else if (known !== undefined) {
      this.verified.delete(token);
    }
    return ok;
  }
}
