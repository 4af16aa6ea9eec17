import { createHash } from 'node:crypto';
import type { NonceStore } from '../parts/nonces.js';
import { nativeTtl, type RedisContext } from './connection.js';

/**
 * The key suffix of a (credentials id, nonce) pair: SHA-256 over the UTF-8
 * byte length of the id, a colon, the id and the nonce, so no two pairs
 * share one (`a:b`+`c` and `a`+`b:c` differ in the length), as base64url.
 */
export function nonceDigest(credentialId: string, nonce: string): string {
  return createHash('sha256')
    .update(`${Buffer.byteLength(credentialId, 'utf8')}:`)
    .update(credentialId, 'utf8')
    .update(nonce, 'utf8')
    .digest('base64url');
}

/**
 * Hawk nonces on Redis: one STRING per (credentials id, nonce) pair, named
 * by a digest of the pair (a sealed ticket id is hundreds of characters
 * long, and either part may hold any character), holding the caller's
 * expiresAt, with a native expiry of `expiresAt - now + grace`, and a member
 * in an expiry ZSET for the purge. use is one script: it refuses the pair
 * while the stored expiresAt is after `now`, and otherwise stores the new
 * one. The native expiry frees a key some time after every caller's clock
 * has passed its expiresAt (the grace covers clocks that run behind), and
 * only then: a key gone early would let a replay through. The purge keeps
 * the expiry ZSET bounded by the nonces of the last purge interval.
 */
export class RedisNonces implements NonceStore {
  constructor(private readonly x: RedisContext) {}

  async use(credentialId: string, nonce: string, now: number, expiresAt: number): Promise<boolean> {
    const { conn, redis, keys } = this.x;
    const k = keys.oz;
    const digest = nonceDigest(credentialId, nonce);
    const ttl = nativeTtl(this.x, expiresAt, now);
    const accepted = await conn.run(() =>
      redis.ticketdUseNonce(k.noncePrefix + digest, k.nonceExpiry, digest, String(now), String(expiresAt), ttl),
    );
    return accepted === 1;
  }

  async purge(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const { conn, redis, keys } = this.x;
    const k = keys.oz;
    return conn.run(() =>
      redis.ticketdPurgeNonces(k.nonceExpiry, k.noncePrefix, String(now), String(Math.floor(limit))),
    );
  }
}
