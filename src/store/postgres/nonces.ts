import { createHash } from 'node:crypto';
import type { NonceStore } from '../parts/nonces.js';
import { type PgPool, statement } from './pool.js';

/** How a credentials id or a nonce is kept: its SHA-256 (UTF-8), 32 bytes whatever its length or characters. */
export const nonceDigest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Hawk nonces on PostgreSQL. use: INSERT ... ON CONFLICT (credential_id,
 * nonce) DO UPDATE ... WHERE the stored record expired, RETURNING 1. Of
 * concurrent calls with one pair, one inserts (or updates an expired row);
 * every other one waits on the index entry or the row lock, then checks the
 * WHERE against the row as the winner left it and returns no row. The purge
 * deletes by ctid (the key is two columns), which the row lock keeps stable
 * until the DELETE.
 */
export class PgNonces implements NonceStore {
  private readonly sql;

  constructor(private readonly pg: PgPool) {
    const s = pg.s;
    this.sql = {
      // $1 credential digest, $2 nonce digest, $3 now, $4 expiresAt.
      use: statement(
        'nonce_use',
        `INSERT INTO ${s}.oz_nonces AS n (credential_id, nonce, expires_at) VALUES ($1, $2, $4)
         ON CONFLICT (credential_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
         WHERE n.expires_at <= $3
         RETURNING 1 AS accepted`,
      ),
      purge: statement(
        'nonce_purge',
        `DELETE FROM ${s}.oz_nonces WHERE ctid = ANY (ARRAY(
           SELECT ctid FROM ${s}.oz_nonces WHERE expires_at <= $1
            ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED))`,
      ),
    };
  }

  async use(credentialId: string, nonce: string, now: number, expiresAt: number): Promise<boolean> {
    return (await this.pg.count(this.sql.use, [nonceDigest(credentialId), nonceDigest(nonce), now, expiresAt])) === 1;
  }

  async purge(now: number, limit: number): Promise<number> {
    return limit <= 0 ? 0 : this.pg.count(this.sql.purge, [now, Math.floor(limit)]);
  }
}
