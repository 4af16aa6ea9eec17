import type { LockoutStore } from '../parts/lockouts.js';
import { countFailure, type LoginFailure } from '../parts/profiles.js';
import type { SqliteDb } from './db.js';

interface LockoutRow {
  failed: number;
  locked_until: number | null;
  expires_at: number;
}

/** Unknown usernames' failed logins on SQLite (table `lockouts`): each record one step of the group commit. */
export class SqliteLockouts implements LockoutStore {
  private readonly s;

  constructor(private readonly h: SqliteDb) {
    this.s = h.prepared((db) => {
      const get = db.prepare('SELECT failed, locked_until, expires_at FROM lockouts WHERE key = ?');
      const put = db.prepare(
        `INSERT INTO lockouts (key, failed, locked_until, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET failed = excluded.failed, locked_until = excluded.locked_until,
           expires_at = excluded.expires_at`,
      );
      return {
        record: (key: Buffer, now: number, lockAfter: number, lockMs: number, expiresAt: number): LoginFailure => {
          const row = get.get(key) as LockoutRow | undefined;
          const live = row && row.expires_at > now ? row : undefined;
          const c = countFailure(
            { failedLoginAttempts: live?.failed ?? 0, lockedUntil: live?.locked_until ?? null },
            now,
            lockAfter,
            lockMs,
          );
          put.run(key, c.failedLoginAttempts, c.lockedUntil, Math.max(expiresAt, c.lockedUntil ?? 0));
          return { failedLoginAttempts: c.failedLoginAttempts, lockedUntil: c.lockedUntil };
        },
        reset: db.prepare('DELETE FROM lockouts WHERE key = ?'),
        purge: db.prepare(
          'DELETE FROM lockouts WHERE rowid IN (SELECT rowid FROM lockouts WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)',
        ),
      };
    });
  }

  record(key: Buffer, now: number, lockAfter: number, lockMs: number, expiresAt: number): Promise<LoginFailure> {
    return this.h.write(() => this.s().record(key, now, lockAfter, lockMs, expiresAt));
  }

  async reset(key: Buffer): Promise<void> {
    await this.h.write(() => this.s().reset.run(key));
  }

  async purge(now: number, limit: number): Promise<number> {
    return (await this.h.write(() => this.s().purge.run(now, Math.max(0, limit)))).changes;
  }
}
