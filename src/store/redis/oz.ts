import { createHash } from 'node:crypto';
import type { OzAppRecord, OzGrantRecord, OzStore } from '../oz-types.js';
import type { Connection } from './connection.js';
import type { Keys } from './keys.js';
import { APP_FIELDS, GRANT_FIELDS } from './oz-scripts.js';
import type { ScriptedRedis } from './scripts.js';

/**
 * The Oz side of the Redis store (oz-types.ts); RedisStore delegates to it.
 * Every method is one command or one script (oz-scripts.ts), so one atomic
 * step on the server. Keys: OzKeys in keys.ts.
 *
 * Grants get a relative native expiry, `exp - createdOn + grace` (createdOn
 * is the caller's clock when it made the grant), never PEXPIREAT, so Redis's
 * clock and the caller's need not agree; liveness is `exp > now` on the
 * stored exp. A grant's index entries stay until a revoke, a cascade or the
 * purge drops them, so counts and purges see expired grants whose hash Redis
 * already freed.
 *
 * Nonces: one STRING per (credentials id, nonce) pair, named by a digest of
 * the pair (a sealed ticket id is hundreds of characters long, and either
 * part may hold any character), holding the caller's expiresAt, with a
 * native expiry of `expiresAt - now + grace`, and a member in an expiry
 * ZSET for purgeNonces. useNonce is one script: it refuses the pair while
 * the stored expiresAt is after `now`, and otherwise stores the new one.
 * The native expiry frees a key some time after every caller's clock has
 * passed its expiresAt (the grace covers clocks that run behind), and only
 * then: a key gone early would let a replay through. The purge keeps the
 * expiry ZSET bounded by the nonces of the last purge interval.
 */
export class RedisOz implements OzStore {
  constructor(
    private readonly conn: Connection,
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly expiryGraceMs: number,
  ) {}

  // ---- apps ----------------------------------------------------------------

  async createApp(a: OzAppRecord): Promise<'created' | 'exists'> {
    const k = this.keys.oz;
    const created = await this.conn.run(() =>
      this.redis.ticketdCreateApp(k.appPrefix + a.id, k.apps, k.tenantAppsPrefix + a.tenant, a.id, ...appFields(a)),
    );
    return created === 1 ? 'created' : 'exists';
  }

  async getApp(id: string): Promise<OzAppRecord | null> {
    const values = await this.conn.run(() => this.redis.hmget(this.keys.oz.appPrefix + id, ...APP_FIELDS));
    return toApp(values);
  }

  async listApps(tenant: string | null): Promise<OzAppRecord[]> {
    const k = this.keys.oz;
    const rows = await this.conn.run(() =>
      this.redis.ticketdListApps(tenant === null ? k.apps : k.tenantAppsPrefix + tenant, k.appPrefix),
    );
    return rows.map(toApp).filter((a): a is OzAppRecord => a !== null);
  }

  async setAppKey(id: string, key: string): Promise<OzAppRecord | null> {
    const values = await this.conn.run(() => this.redis.ticketdSetAppKey(this.keys.oz.appPrefix + id, key));
    return values === null ? null : toApp(values);
  }

  async deleteApp(id: string): Promise<boolean> {
    const k = this.keys.oz;
    const deleted = await this.conn.run(() =>
      this.redis.ticketdDeleteApp(
        ...this.familyKeys(),
        k.appPrefix + id,
        k.apps,
        ...this.familyArgv(),
        id,
        k.tenantAppsPrefix,
      ),
    );
    return deleted === 1;
  }

  // ---- grants --------------------------------------------------------------

  async createGrant(g: OzGrantRecord): Promise<void> {
    const k = this.keys.oz;
    const ttl = Math.ceil(Math.max(1, g.exp - g.createdOn + this.expiryGraceMs));
    await this.conn.run(() =>
      this.redis.ticketdCreateGrant(
        ...this.familyKeys(),
        k.grantPrefix + g.id,
        k.appGrantsPrefix + g.app,
        k.userGrantsPrefix + g.user,
        ...this.familyArgv(),
        g.id,
        `${Buffer.byteLength(g.app)}:${g.app}${g.user}`,
        String(g.exp),
        String(g.createdOn),
        String(ttl),
        ...grantFields(g),
      ),
    );
  }

  async getGrant(id: string, now: number): Promise<OzGrantRecord | null> {
    const values = await this.conn.run(() => this.redis.hmget(this.keys.oz.grantPrefix + id, ...GRANT_FIELDS));
    const g = toGrant(values);
    return g && g.exp > now ? g : null;
  }

  async listGrants(filter: { app?: string; user?: string }, now: number, limit: number): Promise<OzGrantRecord[]> {
    if (limit <= 0) return [];
    const k = this.keys.oz;
    const { app, user } = filter;
    // By user (with the app as a filter when both are given: a user has few grants), by app, or all.
    const index =
      user !== undefined ? k.userGrantsPrefix + user : app !== undefined ? k.appGrantsPrefix + app : k.grants;
    const filtersApp = user !== undefined && app !== undefined;
    const rows = await this.conn.run(() =>
      this.redis.ticketdListGrants(
        index,
        k.grantPrefix,
        String(now),
        String(Math.floor(limit)),
        filtersApp ? '1' : '0',
        filtersApp ? app : '',
      ),
    );
    return rows.map(toGrant).filter((g): g is OzGrantRecord => g !== null);
  }

  async deleteGrant(id: string): Promise<boolean> {
    const n = await this.conn.run(() => this.redis.ticketdDeleteGrant(...this.familyKeys(), ...this.familyArgv(), id));
    return n === 1;
  }

  deleteGrantsOfUser(user: string): Promise<number> {
    return this.conn.run(() =>
      this.redis.ticketdDeleteGrantsOfUser(
        ...this.familyKeys(),
        this.keys.oz.userGrantsPrefix + user,
        ...this.familyArgv(),
      ),
    );
  }

  async purgeGrants(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    return this.conn.run(() =>
      this.redis.ticketdPurgeGrants(...this.familyKeys(), ...this.familyArgv(), String(now), String(Math.floor(limit))),
    );
  }

  // ---- Hawk nonces ---------------------------------------------------------

  async useNonce(credentialId: string, nonce: string, now: number, expiresAt: number): Promise<boolean> {
    const k = this.keys.oz;
    const digest = nonceDigest(credentialId, nonce);
    const ttl = Math.ceil(Math.max(1, expiresAt - now + this.expiryGraceMs));
    const accepted = await this.conn.run(() =>
      this.redis.ticketdUseNonce(
        k.noncePrefix + digest,
        k.nonceExpiry,
        digest,
        String(now),
        String(expiresAt),
        String(ttl),
      ),
    );
    return accepted === 1;
  }

  async purgeNonces(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const k = this.keys.oz;
    return this.conn.run(() =>
      this.redis.ticketdPurgeNonces(k.nonceExpiry, k.noncePrefix, String(now), String(Math.floor(limit))),
    );
  }

  // ---- deleteTenant's Oz part (DELETE_TENANT_WITH_OZ) ----------------------

  /** The KEYS and ARGV that DELETE_TENANT_WITH_OZ takes after those of DELETE_TENANT. */
  tenantCascade(tenant: string): { keys: string[]; argv: string[] } {
    const k = this.keys.oz;
    return {
      keys: [...this.familyKeys(), k.apps, k.tenantAppsPrefix + tenant],
      argv: [...this.familyArgv(), k.appPrefix, k.tenantAppsPrefix],
    };
  }

  /** The grant family's KEYS (oz-scripts.ts): owners HASH, expiry ZSET, all-grants ZSET. */
  private familyKeys(): [string, string, string] {
    const k = this.keys.oz;
    return [k.grantOwners, k.grantExpiry, k.grants];
  }

  /** The grant family's ARGV: grant, app-grants and user-grants prefixes. */
  private familyArgv(): [string, string, string] {
    const k = this.keys.oz;
    return [k.grantPrefix, k.appGrantsPrefix, k.userGrantsPrefix];
  }
}

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

function appFields(a: OzAppRecord): string[] {
  return [
    'id',
    a.id,
    'tenant',
    a.tenant,
    'key',
    a.key,
    'algorithm',
    a.algorithm,
    'scope',
    JSON.stringify(a.scope),
    'delegate',
    a.delegate ? '1' : '0',
    'extAttributes',
    JSON.stringify(a.extAttributes),
    'createdOn',
    String(a.createdOn),
  ];
}

function grantFields(g: OzGrantRecord): string[] {
  const f = [
    'id',
    g.id,
    'tenant',
    g.tenant,
    'app',
    g.app,
    'user',
    g.user,
    'scope',
    JSON.stringify(g.scope),
    'exp',
    String(g.exp),
    'createdOn',
    String(g.createdOn),
  ];
  if (g.session !== null) f.push('session', g.session.toString('hex'));
  return f;
}

/** An app from its APP_FIELDS values; null when the hash is gone. */
function toApp(v: (string | null)[]): OzAppRecord | null {
  const [id, tenant, key, algorithm, scope, delegate, extAttributes, createdOn] = v;
  if (id == null || tenant == null || key == null || scope == null || extAttributes == null || createdOn == null) {
    return null;
  }
  return {
    id,
    tenant,
    key,
    algorithm: (algorithm ?? 'sha256') as OzAppRecord['algorithm'],
    scope: JSON.parse(scope) as string[],
    delegate: delegate === '1',
    extAttributes: JSON.parse(extAttributes) as string[],
    createdOn: Number(createdOn),
  };
}

/** A grant from its GRANT_FIELDS values; null when the hash is gone. */
function toGrant(v: (string | null)[]): OzGrantRecord | null {
  const [id, tenant, app, user, scope, exp, createdOn, session] = v;
  if (
    id == null ||
    tenant == null ||
    app == null ||
    user == null ||
    scope == null ||
    exp == null ||
    createdOn == null
  ) {
    return null;
  }
  return {
    id,
    tenant,
    app,
    user,
    scope: JSON.parse(scope) as string[],
    exp: Number(exp),
    session: session == null ? null : Buffer.from(session, 'hex'),
    createdOn: Number(createdOn),
  };
}
