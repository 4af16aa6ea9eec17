import type { SessionKind } from '../parts/sessions.js';

/**
 * Every Redis key the store uses, under one deployment prefix (see index.ts).
 * Ticket and session ids appear in keys and index members as lowercase hex.
 * Scripts that reach keys named by index members get the family prefixes
 * below as ARGV, so key names are spelled in this file only — except the
 * outbox's, which exist once per area (the prefix, or a cluster shard's
 * tag) and are spelled in outbox.ts.
 */
export class Keys {
  /** STRING: the schema version. */
  readonly schema: string;
  /** SET: the names of all tenants (listTenants). */
  readonly tenants: string;
  /** ZSET: tenant -> a lower bound of the earliest expiresAt in its expiry index; purge walks it. */
  readonly expiryTenants: string;
  /** + tenant name: HASH settings (JSON), createdAt, tickets (the maintained counter). */
  readonly tenantPrefix: string;
  /** + tenant name: ZSET hex ticket id -> expiresAt, for the tenant's tickets that expire. */
  readonly expiryPrefix: string;
  /** + tenant name: SET hex ticket ids of the tenant's tickets that never expire (schema 2; deleteTenant). */
  readonly foreverPrefix: string;
  /** + hex id: HASH tenant, uses, expiresAt, createdAt, payload (absent: null); PEXPIRE when it expires. */
  readonly ticketPrefix: string;

  /** + profile id: HASH of the profile's fields (absent: null), see profiles.ts. */
  readonly profilePrefix: string;
  /** + tenant name: HASH username -> profile id; the uniqueness of usernames per tenant. */
  readonly usernamesPrefix: string;
  /** + tenant name: ZSET username, every score 0: the tenant's profiles in username (byte) order. */
  readonly profilesPrefix: string;

  /** Sessions of each kind: HASH of sessionHash's fields (hash.ts). */
  readonly sessions: Record<SessionKind, SessionKeys>;

  /** HASH hex token id -> the access token's other fields as JSON. */
  readonly accessTokens: string;
  /** HASH key -> value: process-wide values (getMeta, putMetaIfAbsent). */
  readonly meta: string;
  /** + hex digest of (tenant, username): HASH failed, lockedUntil, expiresAt of a username with no profile; PEXPIRE. */
  readonly lockoutPrefix: string;
  /** + rate-limit key: HASH count, resetAt of one window (parts/rate-limits.ts); PEXPIRE. */
  readonly rateLimitPrefix: string;

  /** HASH endpoint id -> the webhook endpoint as JSON (webhooks.ts). */
  readonly webhooks: string;

  /** The Oz surface: apps, grants, Hawk nonces (oz.ts). */
  readonly oz: OzKeys;

  constructor(readonly prefix: string) {
    this.schema = `${prefix}schema`;
    this.tenants = `${prefix}tenants`;
    this.expiryTenants = `${prefix}expiry-tenants`;
    this.tenantPrefix = `${prefix}tenant:`;
    this.expiryPrefix = `${prefix}expiry:`;
    this.foreverPrefix = `${prefix}forever:`;
    this.ticketPrefix = `${prefix}ticket:`;

    this.profilePrefix = `${prefix}profile:`;
    this.usernamesPrefix = `${prefix}usernames:`;
    this.profilesPrefix = `${prefix}profiles:`;

    this.sessions = {
      login: sessionKeys(prefix, 'login-ticket'),
      persistent: sessionKeys(prefix, 'persistent-login'),
    };

    this.accessTokens = `${prefix}access-tokens`;
    this.meta = `${prefix}meta`;
    this.lockoutPrefix = `${prefix}lockout:`;
    this.rateLimitPrefix = `${prefix}rate:`;
    this.webhooks = `${prefix}webhooks`;

    this.oz = {
      appPrefix: `${prefix}oz-app:`,
      apps: `${prefix}oz-apps`,
      tenantAppsPrefix: `${prefix}oz-tenant-apps:`,
      grantPrefix: `${prefix}oz-grant:`,
      grantOwners: `${prefix}oz-grant-owners`,
      grantExpiry: `${prefix}oz-grant-expiry`,
      grants: `${prefix}oz-grants`,
      appGrantsPrefix: `${prefix}oz-app-grants:`,
      userGrantsPrefix: `${prefix}oz-user-grants:`,
      noncePrefix: `${prefix}oz-nonce:`,
      nonceExpiry: `${prefix}oz-nonce-expiry`,
    };
  }

  tenant(name: string): string {
    return this.tenantPrefix + name;
  }
  expiry(tenant: string): string {
    return this.expiryPrefix + tenant;
  }
  forever(tenant: string): string {
    return this.foreverPrefix + tenant;
  }
  ticket(idHex: string): string {
    return this.ticketPrefix + idHex;
  }
  /** A SCAN pattern matching exactly the ticket hashes (migrations only; never on a request path). */
  ticketPattern(): string {
    return `${globEscape(this.ticketPrefix)}*`;
  }

  profile(id: string): string {
    return this.profilePrefix + id;
  }
  usernames(tenant: string): string {
    return this.usernamesPrefix + tenant;
  }
  profiles(tenant: string): string {
    return this.profilesPrefix + tenant;
  }
  lockout(hex: string): string {
    return this.lockoutPrefix + hex;
  }
  rateLimit(key: string): string {
    return this.rateLimitPrefix + key;
  }
}

/**
 * The keys of the Oz surface. Apps and grants are indexed by their ids;
 * a grant's app and user, which name two of its indexes, are also kept in
 * `grantOwners` (never expires natively), so that whichever path drops a
 * grant (revoke, cascade, purge) drops it from every index even after Redis
 * expired its hash.
 */
export interface OzKeys {
  /** + app id: HASH id, tenant, key, algorithm, scope (JSON), delegate ('1'/'0'), extAttributes (JSON), createdOn. */
  readonly appPrefix: string;
  /** ZSET app ids, every score 0: every app in id (byte) order. */
  readonly apps: string;
  /** + tenant name: ZSET app ids, every score 0: the tenant's apps in id order. */
  readonly tenantAppsPrefix: string;
  /** + grant id: HASH id, tenant, app, user, scope (JSON), exp, createdOn, session (hex; absent: null); PEXPIRE. */
  readonly grantPrefix: string;
  /** HASH grant id -> `<byte length of app>:<app><user>`: every stored grant, expired or not. */
  readonly grantOwners: string;
  /** ZSET grant id -> exp: the purge's index. */
  readonly grantExpiry: string;
  /** ZSET grant id -> createdOn: listGrants without a filter. */
  readonly grants: string;
  /** + app id: ZSET grant id -> createdOn. */
  readonly appGrantsPrefix: string;
  /** + user (profile id): ZSET grant id -> createdOn. */
  readonly userGrantsPrefix: string;
  /** + digest of (credentials id, nonce): STRING the caller's expiresAt; PEXPIRE. */
  readonly noncePrefix: string;
  /** ZSET nonce digest -> expiresAt: the purge's index. */
  readonly nonceExpiry: string;
}

/**
 * The keys of one kind of session (login tickets, persistent logins). A
 * session is indexed by its *ref*, `<hex id>:<byte length of tenant>:<tenant><profile id>`
 * (made and parsed in Lua only, profile-scripts.ts), so that every index
 * member names the session's hash and the other indexes holding it even
 * after Redis expired the hash natively.
 */
export interface SessionKeys {
  /** + hex id: HASH of the session; PEXPIRE (expiresAt - now + grace). */
  readonly hash: string;
  /** ZSET ref -> expiresAt of every session of this kind: the purge's index. */
  readonly expiry: string;
  /** + profile id: SET refs of the profile's sessions (deleteProfile, deleteXOfProfile). */
  readonly byProfile: string;
  /** + tenant name: SET refs of the tenant's sessions (deleteTenant). */
  readonly byTenant: string;
}

function sessionKeys(prefix: string, kind: string): SessionKeys {
  return {
    hash: `${prefix}${kind}:`,
    expiry: `${prefix}${kind}-expiry`,
    byProfile: `${prefix}profile-${kind}s:`,
    byTenant: `${prefix}tenant-${kind}s:`,
  };
}

/** Escapes the characters SCAN MATCH gives a meaning to, so a prefix matches only itself. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * The keys of a Redis Cluster store's opaque tickets (tickets-cluster.ts):
 * SHARDS hash tags (`{P/k}`), a ticket in the shard its id picks, and per
 * shard the tenant's expiry ZSET and forever SET, the shard's expiry-tenants
 * ZSET and its `removed` HASH (tenant -> tickets removed in this shard). The
 * tags hash to slots all over the cluster, so one tenant's tickets spread
 * over every primary. Everything else of the store stays under `{P}` (one
 * slot), where its multi-key scripts work unchanged.
 */
export class ShardKeys {
  constructor(
    private readonly prefix: string,
    readonly count: number,
  ) {}

  /** The shard of a ticket: its id is a SHA-256, so its first byte is uniform. */
  of(id: Buffer): number {
    return (id[0] as number) % this.count;
  }
  tag(k: number): string {
    return `{${this.prefix}/${k}}`;
  }
  ticketPrefix(k: number): string {
    return `${this.tag(k)}ticket:`;
  }
  ticket(k: number, hex: string): string {
    return this.ticketPrefix(k) + hex;
  }
  expiryPrefix(k: number): string {
    return `${this.tag(k)}expiry:`;
  }
  expiry(k: number, tenant: string): string {
    return this.expiryPrefix(k) + tenant;
  }
  forever(k: number, tenant: string): string {
    return `${this.tag(k)}forever:${tenant}`;
  }
  expiryTenants(k: number): string {
    return `${this.tag(k)}expiry-tenants`;
  }
  removed(k: number): string {
    return `${this.tag(k)}removed`;
  }
  /** A ticket id given up after a failed create: it may never be written (SHARD_ABANDON). */
  gone(k: number, hex: string): string {
    return `${this.tag(k)}gone:${hex}`;
  }
}
