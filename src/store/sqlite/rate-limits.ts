import type { RateLimitStore, RateWindow } from '../parts/rate-limits.js';
import type { SqliteDb } from './db.js';

/** Rate-limit windows on SQLite (table `rate_limits`): each hit one step of the group commit. */
export class SqliteRateLimits implements RateLimitStore {
  private readonly s;

  constructor(private readonly h: SqliteDb) {
    this.s = h.prepared((db) => ({
      hit: db.prepare(
        `INSERT INTO rate_limits (key, count, reset_at) VALUES (@key, 1, @resetAt)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN reset_at <= @now THEN 1 ELSE count + 1 END,
           reset_at = CASE WHEN reset_at <= @now THEN @resetAt ELSE reset_at END
         RETURNING count, reset_at`,
      ),
      purge: db.prepare(
        'DELETE FROM rate_limits WHERE rowid IN (SELECT rowid FROM rate_limits WHERE reset_at <= ? ORDER BY reset_at LIMIT ?)',
      ),
    }));
  }

  async hit(key: string, now: number, windowMs: number): Promise<RateWindow> {
    const row = (await this.h.write(() => this.s().hit.get({ key, now, resetAt: now + windowMs }))) as {
      count: number;
      reset_at: number;
    };
    return { count: row.count, resetAt: row.reset_at };
  }

  async purge(now: number, limit: number): Promise<number> {
    return (await this.h.write(() => this.s().purge.run(now, Math.max(0, limit)))).changes;
  }
}
