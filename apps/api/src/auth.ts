import type { Database } from "@kube9/db";
import type { ClusterCache } from "./cache/cluster-cache.js";
import { hashToken, nodeIdOfToken } from "./tokens.js";

/** Who is calling: a person with the admin token, a node agent with its own credential, or nobody. */
export type Caller =
  | { kind: "admin" }
  | { kind: "node"; nodeId: string }
  | { kind: "anonymous"; why: "missing" | "invalid" };

/**
 * Maps bearer tokens to callers. Only hashes are kept: the admin token's, and each node's credential
 * hash in its (cached) node row; a node credential carries its node id, so no scan is needed.
 */
export class Authenticator {
  constructor(
    private readonly adminTokenHash: string,
    private readonly cache: ClusterCache,
    private readonly db: Database,
  ) {}

  /** Maps a bearer token to a caller. */
  async identify(token: string | undefined): Promise<Caller> {
    if (!token) return { kind: "anonymous", why: "missing" };
    const hash = hashToken(token);
    if (hash === this.adminTokenHash) return { kind: "admin" };
    const nodeId = nodeIdOfToken(token);
    if (!nodeId) return { kind: "anonymous", why: "invalid" };
    if (this.cache.node(nodeId)?.credentialHash === hash) return { kind: "node", nodeId };
    // Issued by another API process, or this process has not seen the node yet: the database decides.
    const row = await this.db.nodes.get(nodeId);
    if (row && row.credentialHash === hash) return { kind: "node", nodeId };
    return { kind: "anonymous", why: "invalid" };
  }
}
