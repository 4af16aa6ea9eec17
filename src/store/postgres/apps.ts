import type { AppStore, OzAppRecord } from '../parts/apps.js';
import type { OutboxEvent } from '../parts/outbox.js';
import { apps as table } from '../sql/tables.js';
import { eventColumns, withEvents } from './outbox.js';
import { dialect, type PgPool, statement } from './pool.js';

/**
 * Oz apps on PostgreSQL, one statement each. create: INSERT ... ON CONFLICT
 * (id) DO NOTHING; the primary key decides between concurrent creates of one
 * id, in any tenant. delete: one statement deleting the app's grants
 * (through oz_grants_app), then the app row: both or neither. A grant
 * created concurrently for the app may commit after this statement's
 * snapshot and outlive the app until it expires; it is then a grant of an
 * unknown app, which the core refuses (grants are checked when used).
 */
export class PgApps implements AppStore {
  private readonly sql;
  private readonly record = (row: Record<string, unknown>) => table.record(row, dialect);

  constructor(private readonly pg: PgPool) {
    const s = pg.s;
    const all = table.select(dialect);
    this.sql = {
      create: statement('app_create', `${table.insert(dialect, `${s}.oz_apps`)} ON CONFLICT (id) DO NOTHING`),
      get: statement('app_get', `SELECT ${all} FROM ${s}.oz_apps WHERE id = $1`),
      listAll: statement('app_list', `SELECT ${all} FROM ${s}.oz_apps ORDER BY id`),
      listOfTenant: statement('app_list_of_tenant', `SELECT ${all} FROM ${s}.oz_apps WHERE tenant = $1 ORDER BY id`),
      setKey: statement('app_set_key', `UPDATE ${s}.oz_apps SET key = $2 WHERE id = $1 RETURNING ${all}`),
      setKeyEv: statement(
        'app_set_key_ev',
        withEvents(s, `UPDATE ${s}.oz_apps SET key = $2 WHERE id = $1 RETURNING ${all}`, 3),
      ),
      // The app's row goes after its grants (the count over `gone` makes the
      // second DELETE wait for the first), the order delete_tenant takes too.
      delete: statement(
        'app_delete',
        `WITH gone AS (DELETE FROM ${s}.oz_grants WHERE app = $1 RETURNING 1),
         app AS (DELETE FROM ${s}.oz_apps WHERE id = $1 AND (SELECT count(*) FROM gone) >= 0 RETURNING 1)
         SELECT count(*)::int AS n FROM app`,
      ),
    };
  }

  async create(app: OzAppRecord): Promise<'created' | 'exists'> {
    return (await this.pg.count(this.sql.create, table.params(app, dialect))) === 1 ? 'created' : 'exists';
  }

  get(id: string): Promise<OzAppRecord | null> {
    return this.pg.one(this.record, this.sql.get, [id]);
  }

  async list(tenant: string | null): Promise<OzAppRecord[]> {
    const res =
      tenant === null ? await this.pg.query(this.sql.listAll) : await this.pg.query(this.sql.listOfTenant, [tenant]);
    return res.rows.map(this.record);
  }

  setKey(id: string, key: string, event?: OutboxEvent): Promise<OzAppRecord | null> {
    if (event) return this.pg.one(this.record, this.sql.setKeyEv, [id, key, ...eventColumns([event])]);
    return this.pg.one(this.record, this.sql.setKey, [id, key]);
  }

  async delete(id: string): Promise<boolean> {
    return ((await this.pg.query<{ n: number }>(this.sql.delete, [id])).rows[0]?.n ?? 0) > 0;
  }
}
