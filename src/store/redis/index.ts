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
 * Profiles and sessions (profiles.ts, sessions.ts, profile-scripts.ts):
 * - `P profile:<id>`       HASH   the profile's fields; absent field = null.
 * - `P usernames:<name>`   HASH   username -> profile id: unique usernames per tenant.
 * - `P profiles:<name>`    ZSET   usernames, score 0: listProfiles by ZRANGE BYLEX.
 * - `P login-ticket:<hex>`, `P persistent-login:<hex>` HASH a session of that kind
 *                          (sessionHash of hash.ts); PEXPIRE.
 * - per kind K (login-ticket, persistent-login), members are session refs
 *   (`<hex>:<len>:<tenant><profile id>`, naming every place the session is):
 *   `P K-expiry` ZSET ref -> expiresAt (purge), `P profile-Ks:<id>` SET
 *   (the profile's cascade), `P tenant-Ks:<name>` SET (deleteTenant).
 * - `P access-tokens`      HASH   hex id -> the token as JSON.
 * - `P meta`               HASH   key -> value.
 * - `P lockout:<hex>`      HASH   failed logins of a username with no profile (lockouts.ts); PEXPIRE.
 * - `P rate:<key>`         HASH   a rate-limit window (rate-limits.ts); PEXPIRE.
 * - `P webhooks`           HASH   endpoint id -> the webhook endpoint as JSON (webhooks.ts).
 *
 * Oz apps, grants and nonces (apps.ts, grants.ts, nonces.ts, oz-scripts.ts; OzKeys in keys.ts):
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
 * reach keys named by index members.
 *
 * Redis Cluster (`redis-cluster://HOST:PORT[,HOST:PORT...]`, docs/operations.md):
 * every key but the opaque tickets' lives under the hash tag `{P}`, one
 * slot, where the scripts above work unchanged; opaque tickets spread over
 * SHARDS tags (`{P/k}`) and every primary, each script on one shard
 * (tickets-cluster.ts, cluster-scripts.ts).
 *
 * Each part of the store is one file of this folder, on the connection,
 * the scripts and the keys (RedisContext of connection.ts).
 */
import type { Store } from '../types.js';
import { RedisAccessTokens } from './access-tokens.js';
import { RedisApps } from './apps.js';
import { RedisAudit } from './audit.js';
import { defineClusterScripts } from './cluster-scripts.js';
import {
  Connection,
  createClient,
  createClusterClient,
  isClusterUrl,
  parseClusterUrl,
  parseRedisUrl,
  type RedisContext,
  type RedisStoreOptions,
} from './connection.js';
import { grantFamily, RedisGrants } from './grants.js';
import { Keys, ShardKeys } from './keys.js';
import { RedisLockouts } from './lockouts.js';
import { RedisMeta } from './meta.js';
import { LATEST_VERSION, type Migration, migrationScript, migrations } from './migrations.js';
import { RedisNonces } from './nonces.js';
import { RedisOutbox } from './outbox.js';
import { RedisProfiles } from './profiles.js';
import { RedisRateLimits } from './rate-limits.js';
import { defineScripts } from './scripts.js';
import { RedisSessions, sessionPrefixes } from './sessions.js';
import { RedisTenants } from './tenants.js';
import { RedisTickets } from './tickets.js';
import { ClusterTickets } from './tickets-cluster.js';
import { RedisWebhooks } from './webhooks.js';

/** Shards of a cluster store's opaque tickets: enough hash tags that every primary of a cluster gets its share. */
export const CLUSTER_SHARDS = 64;

/** Keys per SCAN step and per backfill script of a migration. */
const BACKFILL_BATCH = 500;

export type { RedisStoreOptions } from './connection.js';

export class RedisStore implements Store {
  readonly kind: 'redis' | 'redis-cluster';
  readonly latestSchemaVersion = LATEST_VERSION;
  readonly options: RedisStoreOptions;
  private readonly x: RedisContext;
  readonly tenants;
  readonly tickets: import('../types.js').TicketStore;
  readonly profiles;
  readonly sessions;
  readonly accessTokens;
  readonly meta;
  readonly apps;
  readonly grants;
  readonly nonces;
  readonly lockouts;
  readonly rateLimits;
  readonly webhooks;
  readonly audit;
  readonly outbox;

  /** Tickets spread over the cluster's shards (a cluster store only). */
  private readonly clusterTickets: ClusterTickets | undefined;

  /** `url`: a `redis://`, `rediss://` or `redis-cluster://` URL as described at the top of this file. Connects on first use. */
  constructor(url: string) {
    const cluster = isClusterUrl(url);
    let client: Parameters<typeof defineScripts>[0];
    let keys: Keys;
    if (cluster) {
      const parsed = parseClusterUrl(url);
      this.options = parsed.options;
      client = createClusterClient(parsed.cluster, parsed.options.timeoutMs);
      keys = new Keys(`{${parsed.options.prefix}}`);
    } else {
      const parsed = parseRedisUrl(url);
      this.options = parsed.options;
      client = createClient(parsed.connection, parsed.options.timeoutMs);
      keys = new Keys(parsed.options.prefix);
    }
    const options = this.options;
    this.kind = cluster ? 'redis-cluster' : 'redis';
    const x: RedisContext = {
      conn: new Connection(client, options.timeoutMs, options.wait, cluster ? keys.schema : undefined),
      redis: defineScripts(client),
      keys,
      expiryGraceMs: options.expiryGraceMs,
    };
    this.x = x;
    this.tenants = new RedisTenants(x);
    if (cluster) {
      defineClusterScripts(client);
      this.clusterTickets = new ClusterTickets(x, new ShardKeys(options.prefix, CLUSTER_SHARDS));
      this.tickets = this.clusterTickets;
    } else {
      this.tickets = new RedisTickets(x);
    }
    this.profiles = new RedisProfiles(x);
    this.sessions = new RedisSessions(x);
    this.accessTokens = new RedisAccessTokens(x);
    this.meta = new RedisMeta(x);
    this.apps = new RedisApps(x);
    this.grants = new RedisGrants(x);
    this.nonces = new RedisNonces(x);
    this.lockouts = new RedisLockouts(x);
    this.rateLimits = new RedisRateLimits(x);
    this.webhooks = new RedisWebhooks(x);
    this.audit = new RedisAudit(x);
    // On a cluster every ticket shard has an outbox of its own (outbox.ts).
    const shards = cluster ? new ShardKeys(options.prefix, CLUSTER_SHARDS) : undefined;
    const shardAreas = shards ? Array.from({ length: shards.count }, (_, k) => shards.tag(k)) : [];
    this.outbox = new RedisOutbox(x, [keys.prefix, ...shardAreas]);
  }

  async migrate(): Promise<void> {
    const { conn, redis, keys } = this.x;
    for (const m of migrations) {
      if (m.backfill) {
        const current = await this.schemaVersion();
        if (current > 0 && current < m.version) await this.backfill(m.backfill);
      }
      await conn.run(() => redis.eval(migrationScript(m.version, m.lua), 1, keys.schema, keys.prefix));
    }
  }

  /** A migration's backfill (migrations.ts): SCAN in batches, one script per batch. */
  private async backfill(b: NonNullable<Migration['backfill']>): Promise<void> {
    const { conn, redis, keys } = this.x;
    const match = b.match(keys);
    const argv = b.argv(keys);
    let cursor = '0';
    do {
      const [next, found] = await conn.read(() => redis.scan(cursor, 'MATCH', match, 'COUNT', BACKFILL_BATCH));
      cursor = next;
      if (found.length > 0) await conn.run(() => redis.eval(b.lua, found.length, ...found, ...argv));
    } while (cursor !== '0');
  }

  async schemaVersion(): Promise<number> {
    const { conn, redis, keys } = this.x;
    const v = await conn.read(() => redis.get(keys.schema));
    return v === null ? 0 : Number(v);
  }

  async ping(): Promise<void> {
    await this.x.conn.read(() => this.x.redis.ping());
  }

  async close(): Promise<void> {
    await this.x.conn.close();
  }

  /** One script (DELETE_TENANT_WITH_OZ of oz-scripts.ts): tickets, profiles, sessions, apps with their grants. */
  async deleteTenant(name: string): Promise<boolean> {
    const { conn, redis, keys: k } = this.x;
    // On a cluster the tenant's tickets are in every shard: those go first, shard by shard.
    await this.clusterTickets?.deleteTenant(name);
    const { login, persistent } = k.sessions;
    const g = grantFamily(this.x);
    const keys = [
      k.tenant(name),
      k.tenants,
      k.expiry(name),
      k.expiryTenants,
      k.forever(name),
      k.usernames(name),
      k.profiles(name),
      login.byTenant + name,
      persistent.byTenant + name,
      login.expiry,
      persistent.expiry,
      ...g.keys,
      k.oz.apps,
      k.oz.tenantAppsPrefix + name,
      k.webhooks,
    ];
    const argv = [
      name,
      k.ticketPrefix,
      k.profilePrefix,
      ...sessionPrefixes(login),
      ...sessionPrefixes(persistent),
      ...g.argv,
      k.oz.appPrefix,
      k.oz.tenantAppsPrefix,
    ];
    return (await conn.run(() => redis.ticketdDeleteTenantWithOz(...keys, ...argv))) === 1;
  }
}
