import type { LockoutStore } from '../parts/lockouts.js';
import type { LoginFailure } from '../parts/profiles.js';
import type { RedisContext } from './connection.js';

/**
 * Unknown usernames' failed logins on Redis: one `lockout:<hex>` HASH each
 * (failed, lockedUntil, expiresAt), counted by one script (RECORD_LOCKOUT of
 * profile-scripts.ts), with a relative native expiry at the later of its
 * expiry and its lock: Redis removes them, so the purge has nothing to do.
 */
export class RedisLockouts implements LockoutStore {
  constructor(private readonly x: RedisContext) {}

  async record(key: Buffer, now: number, lockAfter: number, lockMs: number, expiresAt: number): Promise<LoginFailure> {
    const { conn, redis, keys, expiryGraceMs } = this.x;
    const [failed, lockedUntil] = await conn.run(() =>
      redis.ticketdRecordLockout(
        keys.lockout(key.toString('hex')),
        String(now),
        String(lockAfter),
        String(now + lockMs),
        String(expiresAt),
        String(expiryGraceMs),
      ),
    );
    return { failedLoginAttempts: failed, lockedUntil: lockedUntil === null ? null : Number(lockedUntil) };
  }

  async reset(key: Buffer): Promise<void> {
    const { conn, redis, keys } = this.x;
    await conn.run(() => redis.del(keys.lockout(key.toString('hex'))));
  }

  async purge(): Promise<number> {
    return 0;
  }
}
