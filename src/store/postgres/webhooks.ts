import type { WebhookEndpointRecord, WebhookStore } from '../parts/webhooks.js';
import { webhooks as table } from '../sql/tables.js';
import { dialect, type PgPool, statement } from './pool.js';

/** Webhook endpoints on PostgreSQL (table `webhook_endpoints`), one statement each. */
export class PgWebhooks implements WebhookStore {
  private readonly sql;
  private readonly record = (row: Record<string, unknown>) => table.record(row, dialect);

  constructor(private readonly pg: PgPool) {
    const s = pg.s;
    const all = table.select(dialect);
    const from = `${s}.webhook_endpoints`;
    this.sql = {
      create: statement('webhook_create', `${table.insert(dialect, from)} ON CONFLICT (id) DO NOTHING`),
      replace: statement('webhook_replace', table.update(dialect, 'id', from)),
      get: statement('webhook_get', `SELECT ${all} FROM ${from} WHERE id = $1`),
      listAll: statement('webhook_list', `SELECT ${all} FROM ${from} ORDER BY created_on, id`),
      listOfTenant: statement(
        'webhook_list_of_tenant',
        `SELECT ${all} FROM ${from} WHERE tenant = $1 ORDER BY created_on, id`,
      ),
      delete: statement('webhook_delete', `DELETE FROM ${from} WHERE id = $1`),
    };
  }

  async create(e: WebhookEndpointRecord): Promise<'created' | 'exists'> {
    return (await this.pg.count(this.sql.create, table.params(e, dialect))) === 1 ? 'created' : 'exists';
  }

  get(id: string): Promise<WebhookEndpointRecord | null> {
    return this.pg.one(this.record, this.sql.get, [id]);
  }

  async list(tenant: string | null): Promise<WebhookEndpointRecord[]> {
    const res =
      tenant === null ? await this.pg.query(this.sql.listAll) : await this.pg.query(this.sql.listOfTenant, [tenant]);
    return res.rows.map(this.record);
  }

  async replace(e: WebhookEndpointRecord): Promise<boolean> {
    return (await this.pg.count(this.sql.replace, [...table.params(e, dialect), e.id])) > 0;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.pg.count(this.sql.delete, [id])) > 0;
  }
}
