import type { OutboxEvent } from '../parts/outbox.js';
import type { SessionKind, SessionRecord, SessionStore } from '../parts/sessions.js';
import { nativeTtl, type RedisContext } from './connection.js';
import { sessionHash } from './hash.js';
import type { SessionKeys } from './keys.js';
import { RedisOutbox } from './outbox.js';

/** The ARGV that lets a script drop a session from its hash and the SETs its ref names. */
export function sessionPrefixes(s: SessionKeys): [string, string, string] {
  return [s.hash, s.byProfile, s.byTenant];
}

/**
 * What a session hash of an earlier ticketd names otherwise: `lastRequestTime`
 * (login tickets) or `timestamp` (persistent logins) for touchedAt, and no
 * createdAt (taken to be touchedAt).
 */
function compat(flat: Buffer[]): Buffer[] {
  const names = new Set(flat.filter((_, i) => i % 2 === 0).map(String));
  if (names.has('touchedAt')) return flat;
  const i = flat.findIndex((v, j) => j % 2 === 0 && (String(v) === 'lastRequestTime' || String(v) === 'timestamp'));
  if (i < 0) return flat;
  const touched = flat[i + 1] as Buffer;
  return [...flat, Buffer.from('touchedAt'), touched, Buffer.from('createdAt'), touched];
}

/**
 * Profile sessions on Redis, one key family per kind (SessionKeys of
 * keys.ts): the session's HASH (sessionHash of hash.ts) with a relative
 * native expiry, `expiresAt - now + grace` (never PEXPIREAT, so Redis's
 * clock and the caller's need not agree), and its ref in the kind's expiry
 * ZSET, its profile's SET and its tenant's SET. Every method is one script
 * per kind (profile-scripts.ts).
 */
export class RedisSessions implements SessionStore {
  constructor(private readonly x: RedisContext) {}

  async create(r: SessionRecord): Promise<void> {
    const { conn, redis, keys } = this.x;
    const s = keys.sessions[r.kind];
    const hex = r.id.toString('hex');
    const fields = sessionHash.flat(r, ['token', 'createdAt', 'touchedAt']);
    await conn.run(() =>
      redis.ticketdCreateSession(
        s.hash + hex,
        s.expiry,
        s.byProfile + r.profileId,
        s.byTenant + r.tenant,
        hex,
        r.tenant,
        r.profileId,
        String(r.expiresAt),
        nativeTtl(this.x, r.expiresAt, r.touchedAt),
        ...fields,
      ),
    );
  }

  async get(kind: SessionKind, id: Buffer, now: number): Promise<SessionRecord | null> {
    const { conn, redis, keys } = this.x;
    const flat = await conn.read(() => redis.hgetallBuffer(keys.sessions[kind].hash + id.toString('hex')));
    const pairs = Object.entries(flat).flatMap(([k, v]) => [Buffer.from(k), v]);
    const r = sessionHash.fromFlat(compat(pairs));
    return r && r.expiresAt > now ? { kind, id: Buffer.from(id), ...r } : null;
  }

  async touch(
    kind: SessionKind,
    id: Buffer,
    now: number,
    expiresAt: number,
    token?: Buffer,
  ): Promise<SessionRecord | null> {
    const { conn, redis, keys } = this.x;
    const s = keys.sessions[kind];
    const hex = id.toString('hex');
    const fields = ['touchedAt', String(now), ...(token ? ['token', token] : [])];
    const flat = await conn.run(() =>
      redis.ticketdSlideSessionBuffer(
        s.hash + hex,
        s.expiry,
        hex,
        String(now),
        String(expiresAt),
        nativeTtl(this.x, expiresAt, now),
        ...fields,
      ),
    );
    const r = flat === null ? null : sessionHash.fromFlat(compat(flat));
    return r && { kind, id: Buffer.from(id), ...r };
  }

  async delete(kind: SessionKind, id: Buffer, event?: OutboxEvent): Promise<boolean> {
    const { conn, redis, keys } = this.x;
    const s = keys.sessions[kind];
    const hex = id.toString('hex');
    const deleted = await conn.run(() =>
      event
        ? redis.ticketdDeleteSessionEv(
            s.hash + hex,
            s.expiry,
            RedisOutbox.list(keys.prefix),
            hex,
            ...sessionPrefixes(s),
            RedisOutbox.entry(event),
          )
        : redis.ticketdDeleteSession(s.hash + hex, s.expiry, hex, ...sessionPrefixes(s)),
    );
    return deleted === 1;
  }

  async deleteOfProfile(profileId: string, event?: OutboxEvent): Promise<number> {
    const { conn, redis, keys } = this.x;
    const counts = await Promise.all(
      Object.values(keys.sessions).map((s, i) =>
        conn.run(() =>
          event && i === 0
            ? redis.ticketdDeleteSessionsOfProfileEv(
                s.byProfile + profileId,
                s.expiry,
                RedisOutbox.list(keys.prefix),
                ...sessionPrefixes(s),
                RedisOutbox.entry(event),
              )
            : redis.ticketdDeleteSessionsOfProfile(s.byProfile + profileId, s.expiry, ...sessionPrefixes(s)),
        ),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Up to `limit` in all: login tickets first, then persistent logins, each kind oldest expiry first. */
  async purge(now: number, limit: number): Promise<number> {
    const { conn, redis, keys } = this.x;
    let removed = 0;
    for (const s of Object.values(keys.sessions)) {
      const left = Math.floor(limit) - removed;
      if (left <= 0) break;
      removed += await conn.run(() =>
        redis.ticketdPurgeSessions(s.expiry, String(now), String(left), ...sessionPrefixes(s)),
      );
    }
    return removed;
  }
}
