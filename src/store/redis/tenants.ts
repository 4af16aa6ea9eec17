import type { TenantSettings } from '../../core/tenant-settings.js';
import type { TenantRecord, TenantStore } from '../parts/tenants.js';
import type { RedisContext } from './connection.js';

const toTenant = (name: string, settings: string, createdAt: string | null): TenantRecord => ({
  name,
  settings: JSON.parse(settings) as TenantSettings,
  createdAt: Number(createdAt ?? 0),
});

/** Tenants on Redis: `tenant:<name>` HASHes and the `tenants` SET, each write one script (scripts.ts). */
export class RedisTenants implements TenantStore {
  constructor(private readonly x: RedisContext) {}

  async get(name: string): Promise<TenantRecord | null> {
    const { conn, redis, keys } = this.x;
    const [settings, createdAt] = await conn.read(() => redis.hmget(keys.tenant(name), 'settings', 'createdAt'));
    return settings ? toTenant(name, settings, createdAt ?? null) : null;
  }

  async put(t: TenantRecord): Promise<void> {
    const { conn, redis, keys } = this.x;
    const args = [keys.tenant(t.name), keys.tenants, t.name, JSON.stringify(t.settings), String(t.createdAt)];
    await conn.run(() => redis.ticketdPutTenant(...args));
  }

  async create(t: TenantRecord): Promise<'created' | 'exists'> {
    const { conn, redis, keys } = this.x;
    const args = [keys.tenant(t.name), keys.tenants, t.name, JSON.stringify(t.settings), String(t.createdAt)];
    return (await conn.run(() => redis.ticketdCreateTenant(...args))) === 1 ? 'created' : 'exists';
  }

  async list(): Promise<TenantRecord[]> {
    const { conn, redis, keys } = this.x;
    const flat = await conn.run(() => redis.ticketdListTenants(keys.tenants, keys.tenantPrefix));
    const out: TenantRecord[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      out.push(toTenant(flat[i] as string, flat[i + 1] as string, flat[i + 2] ?? null));
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
