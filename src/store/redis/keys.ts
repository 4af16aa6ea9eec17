/**
 * Every Redis key the store uses, under one deployment prefix (see index.ts).
 * Ticket ids appear in keys and index members as lowercase hex.
 * Scripts that reach keys named by index members get the family prefixes
 * below as ARGV, so key names are spelled in this file only.
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

  constructor(readonly prefix: string) {
    this.schema = `${prefix}schema`;
    this.tenants = `${prefix}tenants`;
    this.expiryTenants = `${prefix}expiry-tenants`;
    this.tenantPrefix = `${prefix}tenant:`;
    this.expiryPrefix = `${prefix}expiry:`;
    this.foreverPrefix = `${prefix}forever:`;
    this.ticketPrefix = `${prefix}ticket:`;
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
}

/** Escapes the characters SCAN MATCH gives a meaning to, so a prefix matches only itself. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
