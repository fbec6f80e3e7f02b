import type { BootstrapTokenRecord, Database } from "@kube9/db";
import { DomainError } from "../errors.js";
import type { EventRecorder } from "../event-recorder.js";
import { hashToken, newBootstrapToken } from "../tokens.js";
import type { JoinedNode, JoinNodeInput, NodeService } from "./node-service.js";

interface BootstrapTokenDeps {
  db: Database;
  events: EventRecorder;
  nodes: NodeService;
  now: () => number;
}

/** A bootstrap token as people see it: never its secret or hash. */
export interface BootstrapTokenDTO {
  id: string;
  description: string;
  expiresAt: string;
  createdAt: string;
  lastUsedAt: string | null;
  uses: number;
  expired: boolean;
}

/** A token just made: the only time its whole text is shown. */
export interface CreatedBootstrapToken extends BootstrapTokenDTO {
  token: string;
}

/**
 * Bootstrap tokens, as kubeadm's: a person with the admin token creates one with an expiry, and a
 * machine that shows it may register one node (runtime `external`) and receives that node's own
 * credential; the token grants nothing else. Only hashes are stored.
 */
export class BootstrapTokenService {
  constructor(private readonly deps: BootstrapTokenDeps) {}

  /** Creates a token valid for ttlMs. */
  async create(ttlMs: number, description: string): Promise<CreatedBootstrapToken> {
    const now = this.deps.now();
    // Three random bytes name it: a clash is possible, and a second draw settles it.
    for (let attempt = 0; ; attempt++) {
      const { id, token } = newBootstrapToken();
      if (attempt < 5 && (await this.deps.db.bootstrapTokens.get(id))) continue;
      const record = await this.deps.db.bootstrapTokens.create({ id, secretHash: hashToken(token), description, expiresAt: now + ttlMs, now });
      await this.deps.events.cluster("BootstrapTokenCreated", `bootstrap token ${id} created, expires ${new Date(record.expiresAt).toISOString()}`);
      return { ...toDTO(record, now), token };
    }
  }

  /** Every token, oldest first; expired ones are listed (as expired) until deleted. */
  async list(): Promise<BootstrapTokenDTO[]> {
    const now = this.deps.now();
    return (await this.deps.db.bootstrapTokens.list()).map((r) => toDTO(r, now));
  }

  /** Deletes a token: nodes that joined with it keep their own credentials. */
  async delete(id: string): Promise<{ id: string }> {
    if (!(await this.deps.db.bootstrapTokens.delete(id))) throw new DomainError("not-found", `bootstrap token ${id} not found (kube9 token list shows them)`);
    await this.deps.events.cluster("BootstrapTokenDeleted", `bootstrap token ${id} deleted`);
    return { id };
  }

  /** Whether a token expiring then has expired by now (the API's clock decides, not the caller's). */
  hasExpired(expiresAt: number): boolean {
    return expiresAt <= this.deps.now();
  }

  /** Registers one node for the holder of a bootstrap token (the router checked it is valid) and hands out the node's own credential. */
  async join(tokenId: string, input: JoinNodeInput): Promise<JoinedNode> {
    const [joined] = await this.deps.nodes.join([input]);
    await this.deps.db.bootstrapTokens.markUsed(tokenId, this.deps.now());
    return joined!;
  }
}

function toDTO(r: BootstrapTokenRecord, now: number): BootstrapTokenDTO {
  return {
    id: r.id,
    description: r.description,
    expiresAt: new Date(r.expiresAt).toISOString(),
    createdAt: new Date(r.createdAt).toISOString(),
    lastUsedAt: r.lastUsedAt === null ? null : new Date(r.lastUsedAt).toISOString(),
    uses: r.uses,
    expired: r.expiresAt <= now,
  };
}
