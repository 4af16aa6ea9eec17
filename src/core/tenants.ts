import type { Store, TenantRecord, TenantStore } from '../store/types.js';
import { type Actor, requireAction } from './access-tokens.js';
import type { Clock } from './clock.js';
import { domainError } from './domain-error.js';
import { DEFAULT_TENANT, type TenantSettings, withDefaults } from './tenant-settings.js';

/** How long a tenant read is reused. Settings changed on another instance apply within this time. */
export const TENANT_CACHE_MS = 1000;

/**
 * Tenant lookups for the request path. Every request names a tenant, so
 * lookups are cached briefly; limits themselves are enforced atomically in
 * the store, so the cache never lets a limit be exceeded, only a changed
 * limit apply up to a second late.
 */
export class Tenants {
  private readonly cache = new Map<string, { record: TenantRecord | null; until: number }>();

  constructor(
    private readonly store: TenantStore,
    private readonly clock: Clock,
  ) {}

  /** The cached read when it is still fresh (null: no such tenant); undefined when the store must be asked. */
  cached(name: string): TenantRecord | null | undefined {
    const hit = this.cache.get(name);
    return hit && hit.until > this.clock.now() ? hit.record : undefined;
  }

  async get(name: string): Promise<TenantRecord | null> {
    const now = this.clock.now();
    const hit = this.cache.get(name);
    if (hit && hit.until > now) return hit.record;
    const record = normalize(await this.store.get(name));
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(name, { record, until: now + TENANT_CACHE_MS });
    return record;
  }

  /** Creates or updates a tenant; unspecified settings keep their current (or default) values. */
  async put(name: string, settings: Partial<TenantSettings>): Promise<TenantRecord> {
    const existing = await this.store.get(name);
    const record: TenantRecord = {
      name,
      settings: { ...(existing?.settings ?? withDefaults({})), ...settings },
      createdAt: existing?.createdAt ?? this.clock.now(),
    };
    await this.store.put(record);
    this.cache.delete(name);
    return record;
  }

  /** Forgets a cached read (after this instance changed or removed the tenant). */
  evict(name: string): void {
    this.cache.delete(name);
  }

  /**
   * Makes sure tenant `default` exists (first start). A create-if-absent, so an
   * instance starting next to another never replaces the settings it wrote.
   */
  async ensureDefault(): Promise<void> {
    await this.store.create({ name: DEFAULT_TENANT, settings: withDefaults({}), createdAt: this.clock.now() });
    this.cache.delete(DEFAULT_TENANT);
  }
}

/** Records written before a setting existed read with that setting's default. */
function normalize(record: TenantRecord | null): TenantRecord | null {
  return record ? { ...record, settings: withDefaults(record.settings) } : null;
}

const noSuchTenant = (name: string) => domainError('NO_SUCH_TENANT', `No tenant with name "${name}" found`);

/**
 * A tenant as the admin API and the profile surface answer it: its name and
 * every setting (roles copied). The admin API adds its creation time.
 */
export function tenantView(t: TenantRecord) {
  return { name: t.name, ...t.settings, availableRoles: [...t.settings.availableRoles] };
}

/**
 * Tenant administration with permission checks (the profile surface's
 * `/tenant/*`, and later the admin API): an actor needs CREATE_TENANT,
 * READ_TENANT or DELETE_TENANT on the tenant it names.
 */
/** Live opaque tickets and profiles of each tenant, by name, and in all. */
export interface TenantStats {
  tenants: { tenant: string; tickets: number; profiles: number }[];
  total: { tenants: number; tickets: number; profiles: number };
}

export class TenantAdmin {
  constructor(
    private readonly store: Pick<Store, 'tenants' | 'tickets' | 'profiles' | 'deleteTenant'>,
    private readonly tenants: Tenants,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, name: string, settings: Partial<TenantSettings>): Promise<TenantRecord> {
    requireAction(actor, name, 'CREATE_TENANT');
    const record: TenantRecord = { name, settings: withDefaults(settings), createdAt: this.clock.now() };
    // Atomic in the store: of concurrent creates of one name (any instance) exactly one succeeds.
    const result = await this.store.tenants.create(record);
    this.tenants.evict(name);
    if (result === 'exists') throw domainError('TENANT_EXISTS', `The tenant "${name}" already exists`);
    return record;
  }

  async get(actor: Actor, name: string): Promise<TenantRecord> {
    requireAction(actor, name, 'READ_TENANT');
    const record = normalize(await this.store.tenants.get(name));
    if (!record) throw noSuchTenant(name);
    return record;
  }

  /**
   * Changes some settings of an existing tenant (UPDATE_TENANT); the others keep their values.
   * Its tickets, profiles and sessions stay; a lower ticketMax refuses new tickets until the tenant is under it.
   */
  async update(actor: Actor, name: string, settings: Partial<TenantSettings>): Promise<TenantRecord> {
    requireAction(actor, name, 'UPDATE_TENANT');
    const current = normalize(await this.store.tenants.get(name));
    if (!current) throw noSuchTenant(name);
    const record: TenantRecord = { ...current, settings: { ...current.settings, ...settings } };
    await this.store.tenants.put(record);
    this.tenants.evict(name);
    return record;
  }

  /** The tenants the actor may read (READ_TENANT), by name. */
  async list(actor: Actor): Promise<TenantRecord[]> {
    const all = await this.store.tenants.list();
    return all
      .filter((t) => actor.can(t.name, 'READ_TENANT'))
      .map((t) => normalize(t) as TenantRecord)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Tickets as the store counts them for `ticketMax` (expired ones not yet
   * purged included) and profiles, per tenant: for administrators, no check.
   */
  async stats(): Promise<TenantStats> {
    const names = (await this.store.tenants.list()).map((t) => t.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const tenants = await Promise.all(
      names.map(async (tenant) => {
        const [tickets, profiles] = await Promise.all([
          this.store.tickets.count(tenant),
          this.store.profiles.count(tenant),
        ]);
        return { tenant, tickets, profiles };
      }),
    );
    const sum = (k: 'tickets' | 'profiles') => tenants.reduce((n, t) => n + t[k], 0);
    return { tenants, total: { tenants: tenants.length, tickets: sum('tickets'), profiles: sum('profiles') } };
  }

  /** Removes the tenant with all its tickets, profiles and logins. Tenant `default` stays. */
  async delete(actor: Actor, name: string): Promise<TenantRecord> {
    requireAction(actor, name, 'DELETE_TENANT');
    const record = normalize(await this.store.tenants.get(name));
    if (!record) throw noSuchTenant(name);
    if (name === DEFAULT_TENANT) {
      throw domainError('ACTION_DENIED', `The tenant "${DEFAULT_TENANT}" can't be deleted`);
    }
    if (!(await this.store.deleteTenant(name))) throw noSuchTenant(name);
    this.tenants.evict(name);
    return record;
  }
}
