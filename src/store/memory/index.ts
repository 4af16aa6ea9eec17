import type { CreateTicketResult, Store, TenantRecord, TicketInfo, TicketRecord, UsedTicket } from '../types.js';
import { ExpiryHeap } from './expiry-heap.js';

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
    this.tickets.set(key, { ...ticket });
    tenant.tickets.add(key);
    if (ticket.expiresAt !== null) this.expiry.push(ticket.expiresAt, key);
    return 'created';
  }

  async useTicket(tenant: string, id: Buffer, now: number): Promise<UsedTicket | null> {
    const key = id.toString('base64');
    const t = this.live(key, tenant, now);
    if (!t) return null;
    if (t.usesLeft === null) return { usesLeft: null, payload: t.payload };
    t.usesLeft -= 1;
    if (t.usesLeft === 0) this.remove(key, t);
    return { usesLeft: t.usesLeft, payload: t.payload };
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

  async purgeTickets(now: number, limit: number): Promise<number> {
    let removed = 0;
    while (removed < limit) {
      const key = this.expiry.popDue(now);
      if (key === undefined) break;
      const t = this.tickets.get(key);
      // The heap may name a ticket that was used up or deleted meanwhile.
      if (t && t.expiresAt !== null && t.expiresAt <= now) {
        this.remove(key, t);
        removed += 1;
      }
    }
    return removed;
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
