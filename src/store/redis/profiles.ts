import {
  type LoginFailure,
  type ProfilePatch,
  type ProfileRecord,
  type ProfileStore,
  patchFields,
} from '../parts/profiles.js';
import type { RedisContext } from './connection.js';
import { profileHash } from './hash.js';
import { sessionPrefixes } from './sessions.js';

/**
 * Profiles on Redis: one `profile:<id>` HASH each (profileHash of hash.ts),
 * the tenant's usernames HASH (unique usernames) and profiles ZSET (listing
 * by username). Every method is one command or one script
 * (profile-scripts.ts), so one atomic step on the server.
 */
export class RedisProfiles implements ProfileStore {
  constructor(private readonly x: RedisContext) {}

  async create(p: ProfileRecord): Promise<'created' | 'exists'> {
    const { conn, redis, keys } = this.x;
    const created = await conn.run(() =>
      redis.ticketdCreateProfile(
        keys.profile(p.id),
        keys.usernames(p.tenant),
        keys.profiles(p.tenant),
        p.id,
        p.username,
        ...(profileHash.flat(p) as string[]),
      ),
    );
    return created === 1 ? 'created' : 'exists';
  }

  async get(id: string): Promise<ProfileRecord | null> {
    const { conn, redis, keys } = this.x;
    return profileHash.fromValues(await conn.read(() => redis.hmget(keys.profile(id), ...profileHash.names)));
  }

  async getByUsername(tenant: string, username: string): Promise<ProfileRecord | null> {
    const { conn, redis, keys } = this.x;
    const flat = await conn.read(() =>
      redis.ticketdGetProfileByUsername(keys.usernames(tenant), username, keys.profilePrefix),
    );
    const p = flat === null ? null : profileHash.fromFlat(flat);
    return p && p.tenant === tenant && p.username === username ? p : null;
  }

  async list(tenant: string, offset: number, limit: number): Promise<ProfileRecord[]> {
    if (limit <= 0) return [];
    const { conn, redis, keys } = this.x;
    const rows = await conn.read(() =>
      redis.ticketdListProfiles(
        keys.profiles(tenant),
        keys.usernames(tenant),
        keys.profilePrefix,
        String(Math.max(0, Math.floor(offset))),
        String(Math.floor(limit)),
      ),
    );
    return rows.map((r) => profileHash.fromFlat(r)).filter((p): p is ProfileRecord => p !== null);
  }

  count(tenant: string): Promise<number> {
    const { conn, redis, keys } = this.x;
    return conn.read(() => redis.hlen(keys.usernames(tenant)));
  }

  async update(id: string, patch: ProfilePatch, now: number): Promise<ProfileRecord | 'exists' | null> {
    const { conn, redis, keys } = this.x;
    const { username, passwordHash, ...rest } = patchFields(patch);
    // Every patched field but the username (renamed by the script) and a password hash set to null (removed).
    const set = profileHash.flat({ ...rest, passwordHash } as ProfileRecord);
    const reply = await conn.run(() =>
      redis.ticketdUpdateProfile(
        keys.profile(id),
        id,
        keys.usernamesPrefix,
        keys.profilesPrefix,
        String(now),
        username === undefined ? '0' : '1',
        username ?? '',
        passwordHash === null ? '1' : '0',
        ...(set as string[]),
      ),
    );
    if (reply === null) return null;
    if (reply === 0) return 'exists';
    return profileHash.fromFlat(reply);
  }

  async delete(id: string): Promise<boolean> {
    const { conn, redis, keys } = this.x;
    const { login, persistent } = keys.sessions;
    const deleted = await conn.run(() =>
      redis.ticketdDeleteProfile(
        keys.profile(id),
        login.byProfile + id,
        persistent.byProfile + id,
        login.expiry,
        persistent.expiry,
        id,
        keys.usernamesPrefix,
        keys.profilesPrefix,
        ...sessionPrefixes(login),
        ...sessionPrefixes(persistent),
      ),
    );
    return deleted === 1;
  }

  async recordLoginFailure(id: string, now: number, lockAfter: number, lockMs: number): Promise<LoginFailure | null> {
    const { conn, redis, keys } = this.x;
    const reply = await conn.run(() =>
      redis.ticketdRecordLoginFailure(keys.profile(id), String(now), String(lockAfter), String(now + lockMs)),
    );
    if (reply === null) return null;
    const [failedLoginAttempts, lockedUntil] = reply;
    return { failedLoginAttempts, lockedUntil: lockedUntil === null ? null : Number(lockedUntil) };
  }

  async resetLoginFailures(id: string): Promise<void> {
    const { conn, redis, keys } = this.x;
    await conn.run(() => redis.ticketdResetLoginFailures(keys.profile(id)));
  }
}
