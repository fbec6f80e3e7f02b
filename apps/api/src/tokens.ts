import { createHash, randomBytes } from "node:crypto";

/** SHA-256 of a token; only hashes are stored. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A new admin token. */
export function newAdminToken(): string {
  return `k9a.${randomBytes(24).toString("base64url")}`;
}

/** A new node credential; it carries the node id so the API can find the node without a scan. */
export function newNodeToken(nodeId: string): string {
  return `k9n.${nodeId}.${randomBytes(24).toString("base64url")}`;
}

/** The node id inside a node credential, if it is one. */
export function nodeIdOfToken(token: string): string | undefined {
  const m = /^k9n\.([0-9a-f-]{36})\.[A-Za-z0-9_-]+$/.exec(token);
  return m?.[1];
}

/** A short random suffix for generated names. */
export function randomSuffix(): string {
  return randomBytes(3).toString("hex");
}

/** A new bootstrap token, `k9b.<id>.<secret>`: the id is its public name (listing, deleting), the secret proves it. */
export function newBootstrapToken(): { id: string; token: string } {
  const id = randomBytes(3).toString("hex");
  return { id, token: `k9b.${id}.${randomBytes(18).toString("base64url")}` };
}

/** The id inside a bootstrap token, if it is one. */
export function bootstrapIdOfToken(token: string): string | undefined {
  return /^k9b\.([0-9a-f]{6})\.[A-Za-z0-9_-]{16,64}$/.exec(token)?.[1];
}
