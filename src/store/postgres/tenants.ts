import type { TenantSettings } from '../../core/tenant-settings.js';
import type { TenantRecord, TenantStore } from '../parts/tenants.js';
import { SLOTS } from './migrations.js';
import type { PgPool } from './pool.js';

interface TenantRow {
  name: string;
  settings: TenantSettings;
  created_at: string;
}

const toTenant = (row: TenantRow): TenantRecord => ({
  name: row.name,
  settings: row.settings,
  createdAt: Number(row.created_at),
});

/** Tenants on PostgreSQL, each with its ticket counter slots (migrations.ts); one statement each. */
export class PgTenants implements TenantStore {
  private readonly sql;

  constructor(private readonly pg: PgPool) {
    const s = pg.s;
    this.sql = {
      get: `SELECT name, settings, created_at FROM ${s}.tenants WHERE name = $1`,
      put: `WITH tenant AS (
              INSERT INTO ${s}.tenants (name, settings, created_at) VALUES ($1, $2, $3)
              ON CONFLICT (name) DO UPDATE SET settings = EXCLUDED.settings)
            INSERT INTO ${s}.ticket_count_slots (tenant, slot)
            SELECT $1, slot FROM generate_series(0, ${SLOTS - 1}) AS slot
            ON CONFLICT DO NOTHING`,
      // ON CONFLICT DO NOTHING waits for a concurrent insert of the name and then
      // skips it (no row RETURNING), so of concurrent creates exactly one inserts;
      // its slot rows go in with it, in the same statement (ticket_count and the
      // deltas take their default, 0), none for a create that found the tenant.
      create: `WITH tenant AS (
                 INSERT INTO ${s}.tenants (name, settings, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO NOTHING
                 RETURNING name),
               slots AS (
                 INSERT INTO ${s}.ticket_count_slots (tenant, slot)
                 SELECT tenant.name, slot FROM tenant, generate_series(0, ${SLOTS - 1}) AS slot
                 ON CONFLICT DO NOTHING)
               SELECT name FROM tenant`,
      list: `SELECT name, settings, created_at FROM ${s}.tenants ORDER BY name`,
    };
  }

  async get(name: string): Promise<TenantRecord | null> {
    const row = (await this.pg.query<TenantRow>(this.sql.get, [name])).rows[0];
    return row ? toTenant(row) : null;
  }

  async put(t: TenantRecord): Promise<void> {
    await this.pg.query(this.sql.put, [t.name, JSON.stringify(t.settings), t.createdAt]);
  }

  async create(t: TenantRecord): Promise<'created' | 'exists'> {
    const res = await this.pg.query(this.sql.create, [t.name, JSON.stringify(t.settings), t.createdAt]);
    return res.rowCount === 1 ? 'created' : 'exists';
  }

  async list(): Promise<TenantRecord[]> {
    return (await this.pg.query<TenantRow>(this.sql.list)).rows.map(toTenant);
  }
}
