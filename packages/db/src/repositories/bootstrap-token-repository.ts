import { rethrowConflict } from "../errors.js";
import { TS, ms, num, type Row, type SqlRunner } from "../sql.js";
import type { BootstrapTokenRecord, BootstrapTokenRepository, NewBootstrapToken } from "../types.js";

const COLUMNS = `id, secret_hash, description, ${ms("expires_at")} as expires_at, ${ms("created_at")} as created_at,
  ${ms("last_used_at")} as last_used_at, uses`;

function toRecord(r: Row): BootstrapTokenRecord {
  return {
    id: String(r.id),
    secretHash: String(r.secret_hash),
    description: String(r.description),
    expiresAt: num(r.expires_at),
    createdAt: num(r.created_at),
    lastUsedAt: r.last_used_at === null || r.last_used_at === undefined ? null : num(r.last_used_at),
    uses: num(r.uses),
  };
}

/** Bootstrap tokens in raw SQL: written when people create or delete them and when a node joins with one. */
export class SqlBootstrapTokenRepository implements BootstrapTokenRepository {
  constructor(private readonly sql: SqlRunner) {}

  async create(token: NewBootstrapToken): Promise<BootstrapTokenRecord> {
    try {
      const [row] = await this.sql.rows(
        `insert into bootstrap_token (id, secret_hash, description, expires_at, created_at) values (?, ?, ?, ${TS}, ${TS}) returning ${COLUMNS}`,
        [token.id, token.secretHash, token.description, token.expiresAt, token.now],
      );
      return toRecord(row!);
    } catch (err) {
      rethrowConflict(err, "bootstrap token", token.id);
    }
  }

  async list(): Promise<BootstrapTokenRecord[]> {
    return (await this.sql.rows(`select ${COLUMNS} from bootstrap_token order by created_at, id`)).map(toRecord);
  }

  async get(id: string): Promise<BootstrapTokenRecord | null> {
    const [row] = await this.sql.rows(`select ${COLUMNS} from bootstrap_token where id = ?`, [id]);
    return row ? toRecord(row) : null;
  }

  async markUsed(id: string, now: number): Promise<void> {
    await this.sql.rows(`update bootstrap_token set uses = uses + 1, last_used_at = ${TS} where id = ?`, [now, id]);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.sql.rows(`delete from bootstrap_token where id = ? returning id`, [id])).length > 0;
  }
}
