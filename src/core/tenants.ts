import type { Store, TenantRecord } from '../store/types.js';
import type { Clock } from './clock.js';
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
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async get(name: string): Promise<TenantRecord | null> {
    const now = this.clock.now();
    const hit = this.cache.get(name);
    if (hit && hit.until > now) return hit.record;
    const record = await this.store.getTenant(name);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(name, { record, until: now + TENANT_CACHE_MS });
    return record;
  }

  /** Creates or updates a tenant; unspecified settings keep their current (or default) values. */
  async put(name: string, settings: Partial<TenantSettings>): Promise<TenantRecord> {
    const existing = await this.store.getTenant(name);
    const record: TenantRecord = {
      name,
      settings: { ...(existing?.settings ?? withDefaults({})), ...settings },
      createdAt: existing?.createdAt ?? this.clock.now(),
    };
    await this.store.putTenant(record);
    this.cache.delete(name);
    return record;
  }

  /** Makes sure tenant `default` exists (first start). */
  async ensureDefault(): Promise<void> {
    if (!(await this.store.getTenant(DEFAULT_TENANT))) await this.put(DEFAULT_TENANT, {});
  }
}
