import type { TenantSettings } from '../../core/tenant-settings.js';
import type { TenantRecord, TenantStore } from '../parts/tenants.js';
import type { SqliteDb } from './db.js';

interface TenantRow {
  name: string;
  settings: string;
  created_at: number;
}

const toTenant = (row: TenantRow): TenantRecord => ({
  name: row.name,
  settings: JSON.parse(row.settings) as TenantSettings,
  createdAt: row.created_at,
});

/** Tenants on SQLite: one statement each, so atomic by itself. */
export class SqliteTenants implements TenantStore {
  private readonly s;

  constructor(private readonly h: SqliteDb) {
    this.s = h.prepared((db) => ({
      get: db.prepare('SELECT name, settings, created_at FROM tenants WHERE name = ?'),
      put: db.prepare(
        'INSERT INTO tenants (name, settings, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET settings = excluded.settings',
      ),
      // live_tickets takes its default, 0.
      create: db.prepare(
        'INSERT INTO tenants (name, settings, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
      ),
      list: db.prepare('SELECT name, settings, created_at FROM tenants ORDER BY name'),
    }));
  }

  async get(name: string): Promise<TenantRecord | null> {
    const row = await this.h.read(() => this.s().get.get(name) as TenantRow | undefined);
    return row ? toTenant(row) : null;
  }

  async put(t: TenantRecord): Promise<void> {
    await this.h.write(() => this.s().put.run(t.name, JSON.stringify(t.settings), t.createdAt));
  }

  async create(t: TenantRecord): Promise<'created' | 'exists'> {
    // SQLite serialises writers, so of concurrent creates (any process) one inserts.
    const { changes } = await this.h.write(() => this.s().create.run(t.name, JSON.stringify(t.settings), t.createdAt));
    return changes === 1 ? 'created' : 'exists';
  }

  list(): Promise<TenantRecord[]> {
    return this.h.read(() => (this.s().list.all() as TenantRow[]).map(toTenant));
  }
}
