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
import { ExpiryHeap } from './expiry-heap.js';
import { MemoryOz } from './oz.js';
import { MemoryProfiles } from './profiles.js';

interface Tenant {
  record: TenantRecord;
  /** Ids of this tenant's tickets, live or expired-but-unpurged. */
  tickets: Set<string>;
}

/**
 * Everything in one process's memory: for tests and demos. Each method runs
 * to completion synchronously inside its promise, so every operation is
 * atomic with respect to the others by construction.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  private readonly tenants = new Map<string, Tenant>();
  private readonly tickets = new Map<string, TicketRecord>();
  private readonly expiry = new ExpiryHeap();
  private readonly profiles = new MemoryProfiles();
  private readonly oz = new MemoryOz();
  private version = 0;

  async migrate(): Promise<void> {
    this.version = 1;
  }
  async schemaVersion(): Promise<number> {
    return this.version;
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}

  async getTenant(name: string): Promise<TenantRecord | null> {
    const t = this.tenants.get(name);
    return t ? structuredClone(t.record) : null;
  }

  async putTenant(tenant: TenantRecord): Promise<void> {
    const existing = this.tenants.get(tenant.name);
    const record = structuredClone(tenant);
    if (existing) existing.record = { ...record, createdAt: existing.record.createdAt };
    else this.tenants.set(tenant.name, { record, tickets: new Set() });
  }

  async createTenant(tenant: TenantRecord): Promise<'created' | 'exists'> {
    if (this.tenants.has(tenant.name)) return 'exists';
    this.tenants.set(tenant.name, { record: structuredClone(tenant), tickets: new Set() });
    return 'created';
  }

  async listTenants(): Promise<TenantRecord[]> {
    return [...this.tenants.values()].map((t) => structuredClone(t.record));
  }

  async createTicket(ticket: TicketRecord, max: number, now: number): Promise<CreateTicketResult> {
    const tenant = this.tenants.get(ticket.tenant);
    if (!tenant) throw new Error(`tenant ${ticket.tenant} does not exist`);
    if (max > 0 && tenant.tickets.size >= max) {
      this.reclaimExpired(tenant, now);
      if (tenant.tickets.size >= max) return 'limit';
    }
    const key = ticket.id.toString('base64');
    // Stored by value, as every other backend does: the caller's buffers stay the caller's.
    this.tickets.set(key, { ...ticket, id: Buffer.from(ticket.id), payload: copy(ticket.payload) });
    tenant.tickets.add(key);
    if (ticket.expiresAt !== null) this.expiry.push(ticket.expiresAt, key);
    return 'created';
  }

  async useTicket(tenant: string, id: Buffer, now: number): Promise<UsedTicket | null> {
    const key = id.toString('base64');
    const t = this.live(key, tenant, now);
    if (!t) return null;
    if (t.usesLeft === null) return { usesLeft: null, payload: copy(t.payload) };
    t.usesLeft -= 1;
    if (t.usesLeft === 0) this.remove(key, t);
    return { usesLeft: t.usesLeft, payload: copy(t.payload) };
  }

  async deleteTicket(tenant: string, id: Buffer, now: number): Promise<{ usesLeft: number | null } | null> {
    const key = id.toString('base64');
    const t = this.live(key, tenant, now);
    if (!t) return null;
    this.remove(key, t);
    return { usesLeft: t.usesLeft };
  }

  async peekTicket(tenant: string, id: Buffer, now: number): Promise<TicketInfo | null> {
    const t = this.live(id.toString('base64'), tenant, now);
    return t ? { usesLeft: t.usesLeft, expiresAt: t.expiresAt, createdAt: t.createdAt } : null;
  }

  async countTickets(tenant: string): Promise<number> {
    return this.tenants.get(tenant)?.tickets.size ?? 0;
  }

  async purgeTickets(now: number, limit: number): Promise<PurgedTickets> {
    let removed = 0;
    const byTenant: Record<string, number> = {};
    while (removed < limit) {
      const key = this.expiry.popDue(now);
      if (key === undefined) break;
      const t = this.tickets.get(key);
      // The heap may name a ticket that was used up or deleted meanwhile.
      if (t && t.expiresAt !== null && t.expiresAt <= now) {
        this.remove(key, t);
        removed += 1;
        byTenant[t.tenant] = (byTenant[t.tenant] ?? 0) + 1;
      }
    }
    return { removed, byTenant };
  }

  // ---- profile surface (profiles.ts) ---------------------------------------

  async deleteTenant(name: string): Promise<boolean> {
    const tenant = this.tenants.get(name);
    if (tenant) {
      // Their expiry heap entries stay behind; the purge skips keys that are gone.
      for (const key of tenant.tickets) this.tickets.delete(key);
      this.tenants.delete(name);
    }
    this.profiles.deleteTenant(name);
    this.oz.deleteTenant(name);
    return tenant !== undefined;
  }

  async createProfile(profile: ProfileRecord): Promise<'created' | 'exists'> {
    return this.profiles.createProfile(profile);
  }
  async getProfile(id: string): Promise<ProfileRecord | null> {
    return this.profiles.getProfile(id);
  }
  async getProfileByUsername(tenant: string, username: string): Promise<ProfileRecord | null> {
    return this.profiles.getProfileByUsername(tenant, username);
  }
  async listProfiles(tenant: string, offset: number, limit: number): Promise<ProfileRecord[]> {
    return this.profiles.listProfiles(tenant, offset, limit);
  }
  async countProfiles(tenant: string): Promise<number> {
    return this.profiles.countProfiles(tenant);
  }
  async updateProfile(id: string, patch: ProfilePatch, now: number): Promise<ProfileRecord | 'exists' | null> {
    return this.profiles.updateProfile(id, patch, now);
  }
  async deleteProfile(id: string): Promise<boolean> {
    return this.profiles.deleteProfile(id);
  }
  async recordLoginFailure(id: string, now: number, lockAfter: number, lockMs: number): Promise<LoginFailure | null> {
    return this.profiles.recordLoginFailure(id, now, lockAfter, lockMs);
  }
  async resetLoginFailures(id: string): Promise<void> {
    this.profiles.resetLoginFailures(id);
  }

  async createLoginTicket(ticket: LoginTicketRecord): Promise<void> {
    this.profiles.loginTickets.insert(ticket);
  }
  async getLoginTicket(id: Buffer, now: number): Promise<LoginTicketRecord | null> {
    return this.profiles.loginTickets.get(id, now);
  }
  async touchLoginTicket(id: Buffer, now: number, maxAgeMs: number): Promise<LoginTicketRecord | null> {
    return this.profiles.touchLoginTicket(id, now, maxAgeMs);
  }
  async deleteLoginTicket(id: Buffer): Promise<boolean> {
    return this.profiles.loginTickets.delete(id);
  }
  async deleteLoginTicketsOfProfile(profileId: string): Promise<number> {
    return this.profiles.loginTickets.deleteOfProfile(profileId);
  }
  async purgeLoginTickets(now: number, limit: number): Promise<number> {
    return this.profiles.loginTickets.purge(now, limit);
  }

  async createPersistentLogin(login: PersistentLoginRecord): Promise<void> {
    this.profiles.persistentLogins.insert(login);
  }
  async getPersistentLogin(id: Buffer, now: number): Promise<PersistentLoginRecord | null> {
    return this.profiles.persistentLogins.get(id, now);
  }
  async refreshPersistentLogin(
    id: Buffer,
    token: Buffer,
    now: number,
    expiresAt: number,
  ): Promise<PersistentLoginRecord | null> {
    return this.profiles.refreshPersistentLogin(id, token, now, expiresAt);
  }
  async deletePersistentLogin(id: Buffer): Promise<boolean> {
    return this.profiles.persistentLogins.delete(id);
  }
  async deletePersistentLoginsOfProfile(profileId: string): Promise<number> {
    return this.profiles.persistentLogins.deleteOfProfile(profileId);
  }
  async purgePersistentLogins(now: number, limit: number): Promise<number> {
    return this.profiles.persistentLogins.purge(now, limit);
  }

  async createAccessToken(token: AccessTokenRecord): Promise<'created' | 'exists'> {
    return this.profiles.createAccessToken(token);
  }
  async getAccessToken(id: Buffer): Promise<AccessTokenRecord | null> {
    return this.profiles.getAccessToken(id);
  }
  async listAccessTokens(): Promise<AccessTokenRecord[]> {
    return this.profiles.listAccessTokens();
  }
  async deleteAccessToken(id: Buffer): Promise<boolean> {
    return this.profiles.deleteAccessToken(id);
  }

  async getMeta(key: string): Promise<string | null> {
    return this.profiles.getMeta(key);
  }
  async putMetaIfAbsent(key: string, value: string): Promise<string> {
    return this.profiles.putMetaIfAbsent(key, value);
  }

  // ---- Oz surface (oz.ts) ----------------------------------------------------

  async createApp(app: OzAppRecord): Promise<'created' | 'exists'> {
    return this.oz.createApp(app);
  }
  async getApp(id: string): Promise<OzAppRecord | null> {
    return this.oz.getApp(id);
  }
  async listApps(tenant: string | null): Promise<OzAppRecord[]> {
    return this.oz.listApps(tenant);
  }
  async setAppKey(id: string, key: string): Promise<OzAppRecord | null> {
    return this.oz.setAppKey(id, key);
  }
  async deleteApp(id: string): Promise<boolean> {
    return this.oz.deleteApp(id);
  }

  async createGrant(grant: OzGrantRecord): Promise<void> {
    this.oz.createGrant(grant);
  }
  async getGrant(id: string, now: number): Promise<OzGrantRecord | null> {
    return this.oz.getGrant(id, now);
  }
  async listGrants(filter: { app?: string; user?: string }, now: number, limit: number): Promise<OzGrantRecord[]> {
    return this.oz.listGrants(filter, now, limit);
  }
  async deleteGrant(id: string): Promise<boolean> {
    return this.oz.deleteGrant(id);
  }
  async deleteGrantsOfUser(user: string): Promise<number> {
    return this.oz.deleteGrantsOfUser(user);
  }
  async purgeGrants(now: number, limit: number): Promise<number> {
    return this.oz.purgeGrants(now, limit);
  }

  async useNonce(credentialId: string, nonce: string, now: number, expiresAt: number): Promise<boolean> {
    return this.oz.useNonce(credentialId, nonce, now, expiresAt);
  }
  async purgeNonces(now: number, limit: number): Promise<number> {
    return this.oz.purgeNonces(now, limit);
  }

  private live(key: string, tenant: string, now: number): TicketRecord | undefined {
    const t = this.tickets.get(key);
    if (!t || t.tenant !== tenant) return undefined;
    if (t.expiresAt !== null && t.expiresAt <= now) return undefined;
    return t;
  }

  private remove(key: string, t: TicketRecord): void {
    this.tickets.delete(key);
    this.tenants.get(t.tenant)?.tickets.delete(key);
  }

  private reclaimExpired(tenant: Tenant, now: number): void {
    for (const key of tenant.tickets) {
      const t = this.tickets.get(key);
      if (t && t.expiresAt !== null && t.expiresAt <= now) this.remove(key, t);
    }
  }
}

function copy(payload: Buffer | null): Buffer | null {
  return payload === null ? null : Buffer.from(payload);
}
