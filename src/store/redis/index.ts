/**
 * The Redis store (ioredis; Redis 6.2 or later, standalone or a primary with
 * replicas).
 *
 * URL: `redis://[user:password@]host:port[/db][?prefix=NAME&expiryGraceMs=N&timeoutMs=N]`
 * (`rediss://` for TLS). Other query parameters go to ioredis.
 * - `prefix` (default `ticketd:`) is prepended to every key, so deployments and
 *   test runs can share one Redis without seeing each other. End it with a
 *   separator and do not nest one deployment's prefix inside another's.
 * - `expiryGraceMs` (default 10000): a ticket's native PEXPIRE is
 *   `expiresAt - now + grace`, relative, so the server frees its memory
 *   whatever the caller's clock says. Whether a ticket is alive is decided by
 *   the caller's `now` against the `expiresAt` stored with it, never by
 *   Redis's clock; the grace keeps a ticket stored a little past its expiry
 *   so that callers whose clocks run slightly behind still see it.
 * - `timeoutMs` (default 2000): longest wait for a command or the connection
 *   before `StoreUnavailableError`.
 *
 * Key layout (P = prefix; see keys.ts):
 * - `P schema`             STRING the schema version (migrations.ts).
 * - `P tenants`            SET    tenant names (listTenants).
 * - `P tenant:<name>`      HASH   settings (JSON), createdAt, tickets (counter).
 * - `P ticket:<hex id>`    HASH   tenant, uses, expiresAt, createdAt, payload;
 *                                 absent field = null; PEXPIRE when it expires.
 * - `P expiry:<name>`      ZSET   hex id -> expiresAt: the tenant's expiry index.
 * - `P forever:<name>`     SET    hex ids of the tenant's tickets that never expire.
 * - `P expiry-tenants`     ZSET   tenant -> a lower bound of its earliest expiresAt.
 *
 * The profile surface (profiles.ts, profile-scripts.ts):
 * - `P profile:<id>`       HASH   the profile's fields; absent field = null.
 * - `P usernames:<name>`   HASH   username -> profile id: unique usernames per tenant.
 * - `P profiles:<name>`    ZSET   usernames, score 0: listProfiles by ZRANGE BYLEX.
 * - `P login-ticket:<hex>` HASH   tenant, profileId, lastRequestTime, expiresAt; PEXPIRE.
 * - `P persistent-login:<hex>` HASH tenant, profileId, token, timestamp, expiresAt; PEXPIRE.
 * - per kind K (login-ticket, persistent-login), members are session refs
 *   (`<hex>:<len>:<tenant><profile id>`, naming every place the session is):
 *   `P K-expiry` ZSET ref -> expiresAt (purge), `P profile-Ks:<id>` SET
 *   (the profile's cascade), `P tenant-Ks:<name>` SET (deleteTenant).
 * - `P access-tokens`      HASH   hex id -> the token as JSON.
 * - `P meta`               HASH   key -> value.
 *
 * The Oz surface (oz.ts, oz-scripts.ts; OzKeys in keys.ts):
 * - `P oz-app:<id>`        HASH   the app's fields.
 * - `P oz-apps`            ZSET   app ids, score 0: listApps(null) in id (byte) order.
 * - `P oz-tenant-apps:<name>` ZSET app ids, score 0: listApps(tenant), deleteTenant.
 * - `P oz-grant:<id>`      HASH   the grant's fields; PEXPIRE exp - createdOn + grace.
 * - `P oz-grant-owners`    HASH   grant id -> its app and user: every stored grant.
 * - `P oz-grant-expiry`    ZSET   grant id -> exp (purgeGrants).
 * - `P oz-grants`, `P oz-app-grants:<app>`, `P oz-user-grants:<user>`
 *                          ZSET   grant id -> createdOn (listGrants newest first;
 *                                 deleteApp, deleteGrantsOfUser).
 * - `P oz-nonce:<digest>`  STRING the caller's expiresAt; PX expiresAt - now + grace.
 * - `P oz-nonce-expiry`    ZSET   digest -> expiresAt (purgeNonces).
 *
 * Expiry index: one ZSET per tenant, because reclaiming at the limit needs the
 * expired tickets of one tenant, and a global ZSET of tenants by earliest
 * expiry, because purge needs the oldest expiries across tenants; purge
 * merges the per-tenant ZSETs through it (scripts.ts). Nothing walks the key
 * space: no KEYS anywhere, and SCAN only in a migration's one-time backfill
 * (migrations.ts), never on a request path.
 *
 * Every write is one Lua script (scripts.ts, profile-scripts.ts) or one
 * single-key command, so every store operation is one atomic step on the
 * server, for any number of ticketd processes. Single-key reads (getTenant,
 * peekTicket, countTickets, getProfile, getLoginTicket, ...) are single
 * commands; reads through an index (getProfileByUsername, listProfiles) are
 * scripts too, so they see one consistent state. Scripts
 * reach keys named by index members, so the store runs on one Redis node
 * (Redis Cluster would need every key in one slot, e.g. a `{ticketd}:` prefix).
 */
import type { TenantSettings } from '../../core/tenant-settings.js';
import type { OzAppRecord, OzGrantRecord } from '../oz-types.js';
import type {
  AccessTokenRecord,
  LoginFailure,
  LoginTicketRecord,
  PersistentLoginRecord,
  ProfilePatch,
  ProfileRecord,
} from '../profile-types.js';
import type {
  CreateTicketResult,
  PurgedTickets,
  Store,
  TenantRecord,
  TicketInfo,
  TicketRecord,
  UsedTicket,
} from '../types.js';
import { Connection, createClient, parseRedisUrl, type RedisStoreOptions } from './connection.js';
import { Keys } from './keys.js';
import { type Migration, migrationScript, migrations } from './migrations.js';
import { RedisOz } from './oz.js';
import { RedisProfiles } from './profiles.js';
import { defineScripts, type ScriptedRedis } from './scripts.js';

/** How many expired tickets of a tenant at its limit are reclaimed in one create. */
const RECLAIM_BATCH = 1000;
/** Keys per SCAN step and per backfill script of a migration. */
const BACKFILL_BATCH = 500;

export type { RedisStoreOptions } from './connection.js';

export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly options: RedisStoreOptions;
  private readonly keys: Keys;
  private readonly conn: Connection;
  private readonly redis: ScriptedRedis;
  private readonly profiles: RedisProfiles;
  private readonly oz: RedisOz;

  /** `url`: a `redis://` or `rediss://` URL as described at the top of this file. Connects on first use. */
  constructor(url: string) {
    const { connection, options } = parseRedisUrl(url);
    this.options = options;
    this.keys = new Keys(options.prefix);
    const client = createClient(connection, options.timeoutMs);
    this.conn = new Connection(client, options.timeoutMs);
    this.redis = defineScripts(client);
    this.profiles = new RedisProfiles(this.conn, this.redis, this.keys, options.expiryGraceMs);
    this.oz = new RedisOz(this.conn, this.redis, this.keys, options.expiryGraceMs);
  }

  async migrate(): Promise<void> {
    for (const m of migrations) {
      if (m.backfill) {
        const current = await this.schemaVersion();
        if (current > 0 && current < m.version) await this.backfill(m.backfill);
      }
      await this.conn.run(() =>
        this.redis.eval(migrationScript(m.version, m.lua), 1, this.keys.schema, this.keys.prefix),
      );
    }
  }

  /** A migration's backfill (migrations.ts): SCAN in batches, one script per batch. */
  private async backfill(b: NonNullable<Migration['backfill']>): Promise<void> {
    const match = b.match(this.keys);
    const argv = b.argv(this.keys);
    let cursor = '0';
    do {
      const [next, keys] = await this.conn.run(() => this.redis.scan(cursor, 'MATCH', match, 'COUNT', BACKFILL_BATCH));
      cursor = next;
      if (keys.length > 0) await this.conn.run(() => this.redis.eval(b.lua, keys.length, ...keys, ...argv));
    } while (cursor !== '0');
  }

  async schemaVersion(): Promise<number> {
    const v = await this.conn.run(() => this.redis.get(this.keys.schema));
    return v === null ? 0 : Number(v);
  }

  async ping(): Promise<void> {
    await this.conn.run(() => this.redis.ping());
  }

  async close(): Promise<void> {
    await this.conn.close();
  }

  // ---- tenants -------------------------------------------------------------

  async getTenant(name: string): Promise<TenantRecord | null> {
    const [settings, createdAt] = await this.conn.run(() =>
      this.redis.hmget(this.keys.tenant(name), 'settings', 'createdAt'),
    );
    return settings ? toTenant(name, settings, createdAt ?? null) : null;
  }

  async putTenant(t: TenantRecord): Promise<void> {
    await this.conn.run(() =>
      this.redis.ticketdPutTenant(
        this.keys.tenant(t.name),
        this.keys.tenants,
        t.name,
        JSON.stringify(t.settings),
        String(t.createdAt),
      ),
    );
  }

  async createTenant(t: TenantRecord): Promise<'created' | 'exists'> {
    const created = await this.conn.run(() =>
      this.redis.ticketdCreateTenant(
        this.keys.tenant(t.name),
        this.keys.tenants,
        t.name,
        JSON.stringify(t.settings),
        String(t.createdAt),
      ),
    );
    return created === 1 ? 'created' : 'exists';
  }

  async listTenants(): Promise<TenantRecord[]> {
    const flat = await this.conn.run(() => this.redis.ticketdListTenants(this.keys.tenants, this.keys.tenantPrefix));
    const out: TenantRecord[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      out.push(toTenant(flat[i] as string, flat[i + 1] as string, flat[i + 2] ?? null));
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  // ---- opaque tickets ------------------------------------------------------

  async createTicket(t: TicketRecord, max: number, now: number): Promise<CreateTicketResult> {
    const id = t.id.toString('hex');
    const ttl = t.expiresAt === null ? 0 : Math.max(1, t.expiresAt - now + this.options.expiryGraceMs);
    const created = await this.conn.run(() =>
      this.redis.ticketdCreateTicket(
        this.keys.tenant(t.tenant),
        this.keys.ticket(id),
        this.keys.expiry(t.tenant),
        this.keys.expiryTenants,
        this.keys.forever(t.tenant),
        this.keys.ticketPrefix,
        id,
        t.tenant,
        String(max),
        String(now),
        t.usesLeft === null ? '' : String(t.usesLeft),
        t.expiresAt === null ? '' : String(t.expiresAt),
        String(t.createdAt),
        t.payload === null ? '0' : '1',
        t.payload ?? '',
        String(Math.ceil(ttl)),
        String(RECLAIM_BATCH),
      ),
    );
    return created === 1 ? 'created' : 'limit';
  }

  async useTicket(tenant: string, id: Buffer, now: number): Promise<UsedTicket | null> {
    const hex = id.toString('hex');
    const reply = await this.conn.run(() =>
      this.redis.ticketdUseTicketBuffer(
        this.keys.ticket(hex),
        this.keys.tenant(tenant),
        this.keys.expiry(tenant),
        this.keys.forever(tenant),
        hex,
        tenant,
        String(now),
      ),
    );
    if (reply === null) return null;
    const [usesLeft, payload] = reply;
    return { usesLeft: usesLeft ?? null, payload: payload ?? null };
  }

  async deleteTicket(tenant: string, id: Buffer, now: number): Promise<{ usesLeft: number | null } | null> {
    const hex = id.toString('hex');
    const reply = await this.conn.run(() =>
      this.redis.ticketdDeleteTicket(
        this.keys.ticket(hex),
        this.keys.tenant(tenant),
        this.keys.expiry(tenant),
        this.keys.forever(tenant),
        hex,
        tenant,
        String(now),
      ),
    );
    return reply === null ? null : { usesLeft: reply[0] ?? null };
  }

  async peekTicket(tenant: string, id: Buffer, now: number): Promise<TicketInfo | null> {
    const [owner, uses, expiresAt, createdAt] = await this.conn.run(() =>
      this.redis.hmget(this.keys.ticket(id.toString('hex')), 'tenant', 'uses', 'expiresAt', 'createdAt'),
    );
    if (owner !== tenant || createdAt === null) return null;
    const expires = expiresAt === null ? null : Number(expiresAt);
    if (expires !== null && expires <= now) return null;
    return { usesLeft: uses === null ? null : Number(uses), expiresAt: expires, createdAt: Number(createdAt) };
  }

  async countTickets(tenant: string): Promise<number> {
    const n = await this.conn.run(() => this.redis.hget(this.keys.tenant(tenant), 'tickets'));
    return n === null ? 0 : Number(n);
  }

  async purgeTickets(now: number, limit: number): Promise<PurgedTickets> {
    if (limit <= 0) return { removed: 0, byTenant: {} };
    const flat = await this.conn.run(() =>
      this.redis.ticketdPurgeTickets(
        this.keys.expiryTenants,
        this.keys.tenantPrefix,
        this.keys.expiryPrefix,
        this.keys.ticketPrefix,
        String(now),
        String(Math.floor(limit)),
      ),
    );
    const byTenant: Record<string, number> = {};
    let removed = 0;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const n = Number(flat[i + 1]);
      byTenant[String(flat[i])] = n;
      removed += n;
    }
    return { removed, byTenant };
  }

  // ---- profile surface (profiles.ts) ---------------------------------------

  /** Also removes the tenant's Oz apps with their grants, in the same script. */
  deleteTenant(name: string): Promise<boolean> {
    return this.profiles.deleteTenant(name, this.oz.tenantCascade(name));
  }
  createProfile(profile: ProfileRecord): Promise<'created' | 'exists'> {
    return this.profiles.createProfile(profile);
  }
  getProfile(id: string): Promise<ProfileRecord | null> {
    return this.profiles.getProfile(id);
  }
  getProfileByUsername(tenant: string, username: string): Promise<ProfileRecord | null> {
    return this.profiles.getProfileByUsername(tenant, username);
  }
  listProfiles(tenant: string, offset: number, limit: number): Promise<ProfileRecord[]> {
    return this.profiles.listProfiles(tenant, offset, limit);
  }
  countProfiles(tenant: string): Promise<number> {
    return this.profiles.countProfiles(tenant);
  }
  updateProfile(id: string, patch: ProfilePatch, now: number): Promise<ProfileRecord | 'exists' | null> {
    return this.profiles.updateProfile(id, patch, now);
  }
  deleteProfile(id: string): Promise<boolean> {
    return this.profiles.deleteProfile(id);
  }
  recordLoginFailure(id: string, now: number, lockAfter: number, lockMs: number): Promise<LoginFailure | null> {
    return this.profiles.recordLoginFailure(id, now, lockAfter, lockMs);
  }
  resetLoginFailures(id: string): Promise<void> {
    return this.profiles.resetLoginFailures(id);
  }

  createLoginTicket(ticket: LoginTicketRecord): Promise<void> {
    return this.profiles.createLoginTicket(ticket);
  }
  getLoginTicket(id: Buffer, now: number): Promise<LoginTicketRecord | null> {
    return this.profiles.getLoginTicket(id, now);
  }
  touchLoginTicket(id: Buffer, now: number, maxAgeMs: number): Promise<LoginTicketRecord | null> {
    return this.profiles.touchLoginTicket(id, now, maxAgeMs);
  }
  deleteLoginTicket(id: Buffer): Promise<boolean> {
    return this.profiles.deleteLoginTicket(id);
  }
  deleteLoginTicketsOfProfile(profileId: string): Promise<number> {
    return this.profiles.deleteLoginTicketsOfProfile(profileId);
  }
  purgeLoginTickets(now: number, limit: number): Promise<number> {
    return this.profiles.purgeLoginTickets(now, limit);
  }

  createPersistentLogin(login: PersistentLoginRecord): Promise<void> {
    return this.profiles.createPersistentLogin(login);
  }
  getPersistentLogin(id: Buffer, now: number): Promise<PersistentLoginRecord | null> {
    return this.profiles.getPersistentLogin(id, now);
  }
  refreshPersistentLogin(
    id: Buffer,
    token: Buffer,
    now: number,
    expiresAt: number,
  ): Promise<PersistentLoginRecord | null> {
    return this.profiles.refreshPersistentLogin(id, token, now, expiresAt);
  }
  deletePersistentLogin(id: Buffer): Promise<boolean> {
    return this.profiles.deletePersistentLogin(id);
  }
  deletePersistentLoginsOfProfile(profileId: string): Promise<number> {
    return this.profiles.deletePersistentLoginsOfProfile(profileId);
  }
  purgePersistentLogins(now: number, limit: number): Promise<number> {
    return this.profiles.purgePersistentLogins(now, limit);
  }

  createAccessToken(token: AccessTokenRecord): Promise<'created' | 'exists'> {
    return this.profiles.createAccessToken(token);
  }
  getAccessToken(id: Buffer): Promise<AccessTokenRecord | null> {
    return this.profiles.getAccessToken(id);
  }
  listAccessTokens(): Promise<AccessTokenRecord[]> {
    return this.profiles.listAccessTokens();
  }
  deleteAccessToken(id: Buffer): Promise<boolean> {
    return this.profiles.deleteAccessToken(id);
  }

  getMeta(key: string): Promise<string | null> {
    return this.profiles.getMeta(key);
  }
  putMetaIfAbsent(key: string, value: string): Promise<string> {
    return this.profiles.putMetaIfAbsent(key, value);
  }

  // ---- Oz surface (oz.ts) --------------------------------------------------

  createApp(app: OzAppRecord): Promise<'created' | 'exists'> {
    return this.oz.createApp(app);
  }
  getApp(id: string): Promise<OzAppRecord | null> {
    return this.oz.getApp(id);
  }
  listApps(tenant: string | null): Promise<OzAppRecord[]> {
    return this.oz.listApps(tenant);
  }
  setAppKey(id: string, key: string): Promise<OzAppRecord | null> {
    return this.oz.setAppKey(id, key);
  }
  deleteApp(id: string): Promise<boolean> {
    return this.oz.deleteApp(id);
  }

  createGrant(grant: OzGrantRecord): Promise<void> {
    return this.oz.createGrant(grant);
  }
  getGrant(id: string, now: number): Promise<OzGrantRecord | null> {
    return this.oz.getGrant(id, now);
  }
  listGrants(filter: { app?: string; user?: string }, now: number, limit: number): Promise<OzGrantRecord[]> {
    return this.oz.listGrants(filter, now, limit);
  }
  deleteGrant(id: string): Promise<boolean> {
    return this.oz.deleteGrant(id);
  }
  deleteGrantsOfUser(user: string): Promise<number> {
    return this.oz.deleteGrantsOfUser(user);
  }
  purgeGrants(now: number, limit: number): Promise<number> {
    return this.oz.purgeGrants(now, limit);
  }

  useNonce(credentialId: string, nonce: string, now: number, expiresAt: number): Promise<boolean> {
    return this.oz.useNonce(credentialId, nonce, now, expiresAt);
  }
  purgeNonces(now: number, limit: number): Promise<number> {
    return this.oz.purgeNonces(now, limit);
  }
}

function toTenant(name: string, settings: string, createdAt: string | null): TenantRecord {
  return { name, settings: JSON.parse(settings) as TenantSettings, createdAt: Number(createdAt ?? 0) };
}
