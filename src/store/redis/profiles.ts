import { patchFields } from '../profile-rules.js';
import type {
  AccessTokenRecord,
  LoginFailure,
  LoginTicketRecord,
  PersistentLoginRecord,
  ProfilePatch,
  ProfileRecord,
  ProfileStore,
  TenantPermission,
} from '../profile-types.js';
import type { Connection } from './connection.js';
import type { Keys, SessionKeys } from './keys.js';
import type { ScriptedRedis } from './scripts.js';

/**
 * The profile side of the Redis store (profile-types.ts); RedisStore
 * delegates to it. Every method is one command or one script
 * (profile-scripts.ts), so one atomic step on the server.
 *
 * Profile hash fields: id, tenant, username, email, passwordHash, enabled and
 * verified ('1'/'0'), roles and attributes (JSON), createdOn, lastModified,
 * failedLoginAttempts, lastFailedLogin, lockedUntil; a null field is absent.
 *
 * Sessions get a relative native expiry, `expiresAt - now + grace`, where
 * `now` is the record's own time at creation (lastRequestTime, timestamp:
 * the caller's clock when it made the record) and the caller's `now` on a
 * slide; never PEXPIREAT, so Redis's clock and the caller's need not agree.
 */
export class RedisProfiles implements ProfileStore {
  constructor(
    private readonly conn: Connection,
    private readonly redis: ScriptedRedis,
    private readonly keys: Keys,
    private readonly expiryGraceMs: number,
  ) {}

  // ---- tenants -------------------------------------------------------------

  /**
   * `oz`: the KEYS and ARGV of the Oz surface's part (RedisOz.tenantCascade),
   * run in the same script (DELETE_TENANT_WITH_OZ of oz-scripts.ts).
   */
  async deleteTenant(name: string, oz?: { keys: string[]; argv: string[] }): Promise<boolean> {
    const k = this.keys;
    const keys = [
      k.tenant(name),
      k.tenants,
      k.expiry(name),
      k.expiryTenants,
      k.forever(name),
      k.usernames(name),
      k.profiles(name),
      k.loginTickets.byTenant + name,
      k.persistentLogins.byTenant + name,
      k.loginTickets.expiry,
      k.persistentLogins.expiry,
    ];
    const argv = [
      name,
      k.ticketPrefix,
      k.profilePrefix,
      ...sessionPrefixes(k.loginTickets),
      ...sessionPrefixes(k.persistentLogins),
    ];
    const existed = await this.conn.run(() =>
      oz
        ? this.redis.ticketdDeleteTenantWithOz(...keys, ...oz.keys, ...argv, ...oz.argv)
        : this.redis.ticketdDeleteTenant(...keys, ...argv),
    );
    return existed === 1;
  }

  // ---- profiles ------------------------------------------------------------

  async createProfile(p: ProfileRecord): Promise<'created' | 'exists'> {
    const created = await this.conn.run(() =>
      this.redis.ticketdCreateProfile(
        this.keys.profile(p.id),
        this.keys.usernames(p.tenant),
        this.keys.profiles(p.tenant),
        p.id,
        p.username,
        ...profileFields(p),
      ),
    );
    return created === 1 ? 'created' : 'exists';
  }

  async getProfile(id: string): Promise<ProfileRecord | null> {
    const h = await this.conn.run(() => this.redis.hgetall(this.keys.profile(id)));
    return toProfile(h);
  }

  async getProfileByUsername(tenant: string, username: string): Promise<ProfileRecord | null> {
    const flat = await this.conn.run(() =>
      this.redis.ticketdGetProfileByUsername(this.keys.usernames(tenant), username, this.keys.profilePrefix),
    );
    const p = flat === null ? null : fromFlat(flat);
    return p && p.tenant === tenant && p.username === username ? p : null;
  }

  async listProfiles(tenant: string, offset: number, limit: number): Promise<ProfileRecord[]> {
    if (limit <= 0) return [];
    const rows = await this.conn.run(() =>
      this.redis.ticketdListProfiles(
        this.keys.profiles(tenant),
        this.keys.usernames(tenant),
        this.keys.profilePrefix,
        String(Math.max(0, Math.floor(offset))),
        String(Math.floor(limit)),
      ),
    );
    return rows.map(fromFlat).filter((p): p is ProfileRecord => p !== null);
  }

  async countProfiles(tenant: string): Promise<number> {
    return this.conn.run(() => this.redis.hlen(this.keys.usernames(tenant)));
  }

  async updateProfile(id: string, patch: ProfilePatch, now: number): Promise<ProfileRecord | 'exists' | null> {
    const { username, passwordHash, ...rest } = patchFields(patch);
    const set: string[] = [];
    if (passwordHash !== undefined && passwordHash !== null) set.push('passwordHash', passwordHash);
    if (rest.email !== undefined) set.push('email', rest.email);
    if (rest.enabled !== undefined) set.push('enabled', flag(rest.enabled));
    if (rest.verified !== undefined) set.push('verified', flag(rest.verified));
    if (rest.roles !== undefined) set.push('roles', JSON.stringify(rest.roles));
    if (rest.attributes !== undefined) set.push('attributes', JSON.stringify(rest.attributes));
    const reply = await this.conn.run(() =>
      this.redis.ticketdUpdateProfile(
        this.keys.profile(id),
        id,
        this.keys.usernamesPrefix,
        this.keys.profilesPrefix,
        String(now),
        username === undefined ? '0' : '1',
        username ?? '',
        passwordHash === null ? '1' : '0',
        ...set,
      ),
    );
    if (reply === null) return null;
    if (reply === 0) return 'exists';
    return fromFlat(reply);
  }

  async deleteProfile(id: string): Promise<boolean> {
    const k = this.keys;
    const deleted = await this.conn.run(() =>
      this.redis.ticketdDeleteProfile(
        k.profile(id),
        k.loginTickets.byProfile + id,
        k.persistentLogins.byProfile + id,
        k.loginTickets.expiry,
        k.persistentLogins.expiry,
        id,
        k.usernamesPrefix,
        k.profilesPrefix,
        ...sessionPrefixes(k.loginTickets),
        ...sessionPrefixes(k.persistentLogins),
      ),
    );
    return deleted === 1;
  }

  async recordLoginFailure(id: string, now: number, lockAfter: number, lockMs: number): Promise<LoginFailure | null> {
    const reply = await this.conn.run(() =>
      this.redis.ticketdRecordLoginFailure(this.keys.profile(id), String(now), String(lockAfter), String(now + lockMs)),
    );
    if (reply === null) return null;
    const [failedLoginAttempts, lockedUntil] = reply;
    return { failedLoginAttempts, lockedUntil: lockedUntil === null ? null : Number(lockedUntil) };
  }

  async resetLoginFailures(id: string): Promise<void> {
    await this.conn.run(() => this.redis.ticketdResetLoginFailures(this.keys.profile(id)));
  }

  // ---- login tickets -------------------------------------------------------

  async createLoginTicket(t: LoginTicketRecord): Promise<void> {
    await this.createSession(this.keys.loginTickets, t, t.lastRequestTime, [
      'lastRequestTime',
      String(t.lastRequestTime),
    ]);
  }

  async getLoginTicket(id: Buffer, now: number): Promise<LoginTicketRecord | null> {
    const [tenant, profileId, lastRequestTime, expiresAt] = await this.conn.run(() =>
      this.redis.hmget(
        this.keys.loginTickets.hash + id.toString('hex'),
        'tenant',
        'profileId',
        'lastRequestTime',
        'expiresAt',
      ),
    );
    if (!tenant || !profileId || !lastRequestTime || !expiresAt || Number(expiresAt) <= now) return null;
    return {
      id: Buffer.from(id),
      tenant,
      profileId,
      lastRequestTime: Number(lastRequestTime),
      expiresAt: Number(expiresAt),
    };
  }

  async touchLoginTicket(id: Buffer, now: number, maxAgeMs: number): Promise<LoginTicketRecord | null> {
    const h = await this.slideSession(this.keys.loginTickets, id, now, now + maxAgeMs, [
      'lastRequestTime',
      String(now),
    ]);
    return h && toLoginTicket(id, h);
  }

  async deleteLoginTicket(id: Buffer): Promise<boolean> {
    return this.deleteSession(this.keys.loginTickets, id);
  }

  async deleteLoginTicketsOfProfile(profileId: string): Promise<number> {
    return this.deleteSessionsOfProfile(this.keys.loginTickets, profileId);
  }

  async purgeLoginTickets(now: number, limit: number): Promise<number> {
    return this.purgeSessions(this.keys.loginTickets, now, limit);
  }

  // ---- persistent logins ---------------------------------------------------

  async createPersistentLogin(l: PersistentLoginRecord): Promise<void> {
    await this.createSession(this.keys.persistentLogins, l, l.timestamp, [
      'token',
      l.token,
      'timestamp',
      String(l.timestamp),
    ]);
  }

  async getPersistentLogin(id: Buffer, now: number): Promise<PersistentLoginRecord | null> {
    const [tenant, profileId, token, timestamp, expiresAt] = await this.conn.run(() =>
      this.redis.hmgetBuffer(
        this.keys.persistentLogins.hash + id.toString('hex'),
        'tenant',
        'profileId',
        'token',
        'timestamp',
        'expiresAt',
      ),
    );
    if (!tenant || !profileId || !token || !timestamp || !expiresAt || Number(expiresAt.toString()) <= now) {
      return null;
    }
    return {
      id: Buffer.from(id),
      tenant: tenant.toString(),
      profileId: profileId.toString(),
      token,
      timestamp: Number(timestamp.toString()),
      expiresAt: Number(expiresAt.toString()),
    };
  }

  async refreshPersistentLogin(
    id: Buffer,
    token: Buffer,
    now: number,
    expiresAt: number,
  ): Promise<PersistentLoginRecord | null> {
    const h = await this.slideSession(this.keys.persistentLogins, id, now, expiresAt, [
      'token',
      token,
      'timestamp',
      String(now),
    ]);
    return h && toPersistentLogin(id, h);
  }

  async deletePersistentLogin(id: Buffer): Promise<boolean> {
    return this.deleteSession(this.keys.persistentLogins, id);
  }

  async deletePersistentLoginsOfProfile(profileId: string): Promise<number> {
    return this.deleteSessionsOfProfile(this.keys.persistentLogins, profileId);
  }

  async purgePersistentLogins(now: number, limit: number): Promise<number> {
    return this.purgeSessions(this.keys.persistentLogins, now, limit);
  }

  // ---- access tokens -------------------------------------------------------

  async createAccessToken(t: AccessTokenRecord): Promise<'created' | 'exists'> {
    const stored: StoredAccessToken = {
      idPrefix: t.idPrefix,
      application: t.application,
      master: t.master,
      tenantPermissions: t.tenantPermissions,
      expiresOn: t.expiresOn,
      createdOn: t.createdOn,
    };
    const created = await this.conn.run(() =>
      this.redis.hsetnx(this.keys.accessTokens, t.id.toString('hex'), JSON.stringify(stored)),
    );
    return created === 1 ? 'created' : 'exists';
  }

  async getAccessToken(id: Buffer): Promise<AccessTokenRecord | null> {
    const hex = id.toString('hex');
    const json = await this.conn.run(() => this.redis.hget(this.keys.accessTokens, hex));
    return json === null ? null : toAccessToken(hex, json);
  }

  /** Oldest first (createdOn, then id), as the other stores list them. */
  async listAccessTokens(): Promise<AccessTokenRecord[]> {
    const all = await this.conn.run(() => this.redis.hgetall(this.keys.accessTokens));
    return Object.entries(all)
      .map(([hex, json]) => toAccessToken(hex, json))
      .sort((a, b) => a.createdOn - b.createdOn || Buffer.compare(a.id, b.id));
  }

  async deleteAccessToken(id: Buffer): Promise<boolean> {
    const n = await this.conn.run(() => this.redis.hdel(this.keys.accessTokens, id.toString('hex')));
    return n === 1;
  }

  // ---- meta ----------------------------------------------------------------

  async getMeta(key: string): Promise<string | null> {
    return this.conn.run(() => this.redis.hget(this.keys.meta, key));
  }

  async putMetaIfAbsent(key: string, value: string): Promise<string> {
    return this.conn.run(() => this.redis.ticketdPutMetaIfAbsent(this.keys.meta, key, value));
  }

  // ---- sessions (login tickets and persistent logins) -----------------------

  /** The native expiry of a session that expires at `expiresAt`, seen from the caller's `now`. */
  private ttl(expiresAt: number, now: number): string {
    return String(Math.ceil(Math.max(1, expiresAt - now + this.expiryGraceMs)));
  }

  private async createSession(
    s: SessionKeys,
    r: { id: Buffer; tenant: string; profileId: string; expiresAt: number },
    now: number,
    fields: (string | Buffer)[],
  ): Promise<void> {
    const hex = r.id.toString('hex');
    await this.conn.run(() =>
      this.redis.ticketdCreateSession(
        s.hash + hex,
        s.expiry,
        s.byProfile + r.profileId,
        s.byTenant + r.tenant,
        hex,
        r.tenant,
        r.profileId,
        String(r.expiresAt),
        this.ttl(r.expiresAt, now),
        ...fields,
      ),
    );
  }

  private async slideSession(
    s: SessionKeys,
    id: Buffer,
    now: number,
    expiresAt: number,
    fields: (string | Buffer)[],
  ): Promise<Map<string, Buffer> | null> {
    const hex = id.toString('hex');
    const flat = await this.conn.run(() =>
      this.redis.ticketdSlideSessionBuffer(
        s.hash + hex,
        s.expiry,
        hex,
        String(now),
        String(expiresAt),
        this.ttl(expiresAt, now),
        ...fields,
      ),
    );
    if (flat === null) return null;
    const h = new Map<string, Buffer>();
    for (let i = 0; i + 1 < flat.length; i += 2) h.set((flat[i] as Buffer).toString(), flat[i + 1] as Buffer);
    return h;
  }

  private async deleteSession(s: SessionKeys, id: Buffer): Promise<boolean> {
    const hex = id.toString('hex');
    const n = await this.conn.run(() =>
      this.redis.ticketdDeleteSession(s.hash + hex, s.expiry, hex, ...sessionPrefixes(s)),
    );
    return n === 1;
  }

  private deleteSessionsOfProfile(s: SessionKeys, profileId: string): Promise<number> {
    return this.conn.run(() =>
      this.redis.ticketdDeleteSessionsOfProfile(s.byProfile + profileId, s.expiry, ...sessionPrefixes(s)),
    );
  }

  private async purgeSessions(s: SessionKeys, now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    return this.conn.run(() =>
      this.redis.ticketdPurgeSessions(s.expiry, String(now), String(Math.floor(limit)), ...sessionPrefixes(s)),
    );
  }
}

/** The ARGV that lets a script drop a session from its hash and the SETs its ref names. */
function sessionPrefixes(s: SessionKeys): [string, string, string] {
  return [s.hash, s.byProfile, s.byTenant];
}

function flag(b: boolean): string {
  return b ? '1' : '0';
}

function profileFields(p: ProfileRecord): string[] {
  const f = [
    'id',
    p.id,
    'tenant',
    p.tenant,
    'username',
    p.username,
    'email',
    p.email,
    'enabled',
    flag(p.enabled),
    'verified',
    flag(p.verified),
    'roles',
    JSON.stringify(p.roles),
    'attributes',
    JSON.stringify(p.attributes),
    'createdOn',
    String(p.createdOn),
    'lastModified',
    String(p.lastModified),
    'failedLoginAttempts',
    String(p.failedLoginAttempts),
  ];
  if (p.passwordHash !== null) f.push('passwordHash', p.passwordHash);
  if (p.lastFailedLogin !== null) f.push('lastFailedLogin', String(p.lastFailedLogin));
  if (p.lockedUntil !== null) f.push('lockedUntil', String(p.lockedUntil));
  return f;
}

/** A profile from a script's {field, value, ...} reply. */
function fromFlat(flat: string[]): ProfileRecord | null {
  const h: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) h[flat[i] as string] = flat[i + 1] as string;
  return toProfile(h);
}

/** A profile from its hash; null when the hash is empty (no such profile). */
function toProfile(h: Record<string, string>): ProfileRecord | null {
  const { id, tenant, username, roles, attributes, createdOn, lastModified } = h;
  if (
    id === undefined ||
    tenant === undefined ||
    username === undefined ||
    roles === undefined ||
    attributes === undefined ||
    createdOn === undefined ||
    lastModified === undefined
  ) {
    return null;
  }
  return {
    id,
    tenant,
    username,
    email: h.email ?? '',
    passwordHash: h.passwordHash ?? null,
    enabled: h.enabled === '1',
    verified: h.verified === '1',
    roles: JSON.parse(roles) as string[],
    attributes: JSON.parse(attributes) as Record<string, unknown>,
    createdOn: Number(createdOn),
    lastModified: Number(lastModified),
    failedLoginAttempts: Number(h.failedLoginAttempts ?? '0'),
    lastFailedLogin: h.lastFailedLogin === undefined ? null : Number(h.lastFailedLogin),
    lockedUntil: h.lockedUntil === undefined ? null : Number(h.lockedUntil),
  };
}

function text(h: Map<string, Buffer>, field: string): string {
  return h.get(field)?.toString() ?? '';
}

function toLoginTicket(id: Buffer, h: Map<string, Buffer>): LoginTicketRecord {
  return {
    id: Buffer.from(id),
    tenant: text(h, 'tenant'),
    profileId: text(h, 'profileId'),
    lastRequestTime: Number(text(h, 'lastRequestTime')),
    expiresAt: Number(text(h, 'expiresAt')),
  };
}

function toPersistentLogin(id: Buffer, h: Map<string, Buffer>): PersistentLoginRecord {
  return {
    id: Buffer.from(id),
    tenant: text(h, 'tenant'),
    profileId: text(h, 'profileId'),
    token: Buffer.from(h.get('token') ?? Buffer.alloc(0)),
    timestamp: Number(text(h, 'timestamp')),
    expiresAt: Number(text(h, 'expiresAt')),
  };
}

interface StoredAccessToken {
  idPrefix: string;
  application: string;
  master: boolean;
  tenantPermissions: TenantPermission[];
  expiresOn: number | null;
  createdOn: number;
}

function toAccessToken(hex: string, json: string): AccessTokenRecord {
  const t = JSON.parse(json) as StoredAccessToken;
  return {
    id: Buffer.from(hex, 'hex'),
    idPrefix: t.idPrefix,
    application: t.application,
    master: t.master,
    tenantPermissions: t.tenantPermissions,
    expiresOn: t.expiresOn,
    createdOn: t.createdOn,
  };
}
