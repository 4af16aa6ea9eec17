import type { RateLimitStore, RateWindow } from '../parts/rate-limits.js';
import type { RedisContext } from './connection.js';

/**
 * Rate-limit windows on Redis: one `rate:<key>` HASH each (count, resetAt),
 * counted by one script (RATE_LIMIT_HIT of profile-scripts.ts) against the
 * caller's clock, with a relative native expiry at the window's end: Redis
 * removes them, so the purge has nothing to do.
 */
export class RedisRateLimits implements RateLimitStore {
  constructor(private readonly x: RedisContext) {}

  async hit(key: string, now: number, windowMs: number): Promise<RateWindow> {
    const { conn, redis, keys, expiryGraceMs } = this.x;
    const [count, resetAt] = await conn.run(() =>
      redis.ticketdRateLimitHit(keys.rateLimit(key), String(now), String(now + windowMs), String(expiryGraceMs)),
    );
    return { count, resetAt: Number(resetAt) };
  }

  async purge(): Promise<number> {
    return 0;
  }
}
