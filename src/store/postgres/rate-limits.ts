import type { RateLimitStore, RateWindow } from '../parts/rate-limits.js';
import { type PgPool, statement } from './pool.js';

/**
 * Rate-limit windows on PostgreSQL (table `rate_limits`): a hit is one
 * INSERT ... ON CONFLICT DO UPDATE, so concurrent hits from every instance
 * queue on the row's lock and none is lost.
 */
export class PgRateLimits implements RateLimitStore {
  private readonly sql;

  constructor(private readonly pg: PgPool) {
    const s = pg.s;
    this.sql = {
      // $1 key, $2 now, $3 now + window.
      hit: statement(
        'rate_limit_hit',
        `INSERT INTO ${s}.rate_limits AS r (key, count, reset_at) VALUES ($1, 1, $3)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN r.reset_at <= $2::bigint THEN 1 ELSE r.count + 1 END,
           reset_at = CASE WHEN r.reset_at <= $2::bigint THEN $3::bigint ELSE r.reset_at END
         RETURNING count, reset_at`,
      ),
      purge: statement(
        'rate_limit_purge',
        `DELETE FROM ${s}.rate_limits WHERE key = ANY (ARRAY(
           SELECT key FROM ${s}.rate_limits WHERE reset_at <= $1 ORDER BY reset_at LIMIT $2 FOR UPDATE SKIP LOCKED))`,
      ),
    };
  }

  async hit(key: string, now: number, windowMs: number): Promise<RateWindow> {
    const res = await this.pg.query<{ count: number; reset_at: string }>(this.sql.hit, [key, now, now + windowMs]);
    const row = res.rows[0] as { count: number; reset_at: string };
    return { count: row.count, resetAt: Number(row.reset_at) };
  }

  async purge(now: number, limit: number): Promise<number> {
    return limit <= 0 ? 0 : this.pg.count(this.sql.purge, [now, Math.floor(limit)]);
  }
}
