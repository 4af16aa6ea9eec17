import type { NonceStore } from '../parts/nonces.js';
import type { SqliteDb } from './db.js';

/**
 * Hawk nonces on SQLite (table `oz_nonces`). use is a single upsert that
 * only rewrites an expired record, so of concurrent calls with one pair,
 * from any number of processes, exactly one inserts or revives it.
 */
export class SqliteNonces implements NonceStore {
  private readonly s;

  constructor(private readonly h: SqliteDb) {
    this.s = h.prepared((db) => ({
      // Insert, or revive a record that is dead at `now`; a row comes back only then.
      use: db.prepare(
        `INSERT INTO oz_nonces (credential_id, nonce, expires_at) VALUES (@credentialId, @nonce, @expiresAt)
         ON CONFLICT (credential_id, nonce) DO UPDATE SET expires_at = excluded.expires_at
           WHERE oz_nonces.expires_at <= @now
         RETURNING 1 AS accepted`,
      ),
      purge: db.prepare(
        `DELETE FROM oz_nonces WHERE rowid IN (
           SELECT rowid FROM oz_nonces WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`,
      ),
    }));
  }

  use(credentialId: string, nonce: string, now: number, expiresAt: number): Promise<boolean> {
    return this.h.write(() => this.s().use.get({ credentialId, nonce, now, expiresAt }) !== undefined);
  }

  async purge(now: number, limit: number): Promise<number> {
    return (await this.h.write(() => this.s().purge.run(now, Math.max(0, limit)))).changes;
  }
}
