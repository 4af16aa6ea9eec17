import type { LockoutStore } from '../parts/lockouts.js';
import type { LoginFailure } from '../parts/profiles.js';
import { type PgPool, statement } from './pool.js';

/**
 * Unknown usernames' failed logins on PostgreSQL (table `lockouts`). record
 * is one INSERT ... ON CONFLICT DO UPDATE computing countFailure
 * (parts/profiles.ts) from the row as it is under the conflict's row lock:
 * concurrent calls queue on it, and none is lost.
 */
export class PgLockouts implements LockoutStore {
  private readonly sql;

  constructor(private readonly pg: PgPool) {
    const s = pg.s;
    // $1 key, $2 now, $3 lockAfter, $4 lockMs, $5 expiresAt. `fresh`: the stored count no longer holds.
    const fresh = '(l.expires_at <= $2::bigint OR l.locked_until <= $2::bigint)';
    const count = `(CASE WHEN ${fresh} THEN 0 ELSE l.failed END + 1)`;
    const lock = `CASE WHEN l.locked_until > $2::bigint THEN l.locked_until
                       WHEN $3::integer > 0 AND ${count} >= $3::integer THEN $2::bigint + $4::bigint END`;
    const firstLock = 'CASE WHEN $3::integer > 0 AND 1 >= $3::integer THEN $2::bigint + $4::bigint END';
    this.sql = {
      record: statement(
        'lockout_record',
        `INSERT INTO ${s}.lockouts AS l (key, failed, locked_until, expires_at)
         VALUES ($1, 1, ${firstLock}, greatest($5::bigint, coalesce(${firstLock}, 0)))
         ON CONFLICT (key) DO UPDATE SET
           failed = ${count},
           locked_until = ${lock},
           expires_at = greatest($5::bigint, coalesce(${lock}, 0))
         RETURNING failed, locked_until`,
      ),
      reset: statement('lockout_reset', `DELETE FROM ${s}.lockouts WHERE key = $1`),
      purge: statement(
        'lockout_purge',
        `DELETE FROM ${s}.lockouts WHERE key = ANY (ARRAY(
           SELECT key FROM ${s}.lockouts WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED))`,
      ),
    };
  }

  async record(key: Buffer, now: number, lockAfter: number, lockMs: number, expiresAt: number): Promise<LoginFailure> {
    const res = await this.pg.query<{ failed: number; locked_until: string | null }>(this.sql.record, [
      key,
      now,
      lockAfter,
      lockMs,
      expiresAt,
    ]);
    const row = res.rows[0] as { failed: number; locked_until: string | null };
    return {
      failedLoginAttempts: row.failed,
      lockedUntil: row.locked_until === null ? null : Number(row.locked_until),
    };
  }

  async reset(key: Buffer): Promise<void> {
    await this.pg.query(this.sql.reset, [key]);
  }

  async purge(now: number, limit: number): Promise<number> {
    return limit <= 0 ? 0 : this.pg.count(this.sql.purge, [now, Math.floor(limit)]);
  }
}
