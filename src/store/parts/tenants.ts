import type { TenantSettings } from '../../core/tenant-settings.js';

export interface TenantRecord {
  name: string;
  settings: TenantSettings;
  createdAt: number;
}

/**
 * Tenants: the one tenancy concept of every surface. A tenant and
 * everything of it go together through `Store.deleteTenant` (types.ts).
 */
export interface TenantStore {
  get(name: string): Promise<TenantRecord | null>;
  /** Creates the tenant, or replaces its settings when it exists (its tickets stay). */
  put(tenant: TenantRecord): Promise<void>;
  /**
   * Creates the tenant unless one with its name exists, and then changes
   * nothing: `exists`, the stored tenant's settings and createdAt untouched.
   * Atomic with respect to every other call on any process sharing the
   * backend: of concurrent creates with one name, exactly one returns
   * `created`. A created tenant's counters start at 0 (no tickets).
   */
  create(tenant: TenantRecord): Promise<'created' | 'exists'>;
  /** Every tenant, by name. */
  list(): Promise<TenantRecord[]>;
}
