import type { WebhookEndpointRecord, WebhookStore } from '../parts/webhooks.js';
import { webhooks as table } from '../sql/tables.js';
import { dialect, type SqliteDb } from './db.js';

/** Webhook endpoints on SQLite (table `webhook_endpoints`): one statement each. */
export class SqliteWebhooks implements WebhookStore {
  private readonly s;

  constructor(private readonly h: SqliteDb) {
    this.s = h.prepared((db) => {
      const all = table.select(dialect);
      return {
        insert: db.prepare(`${table.insert(dialect)} ON CONFLICT (id) DO NOTHING`),
        replace: db.prepare(table.update(dialect, 'id')),
        get: db.prepare(`SELECT ${all} FROM webhook_endpoints WHERE id = ?`),
        listAll: db.prepare(`SELECT ${all} FROM webhook_endpoints ORDER BY created_on, id`),
        listOfTenant: db.prepare(`SELECT ${all} FROM webhook_endpoints WHERE tenant = ? ORDER BY created_on, id`),
        delete: db.prepare('DELETE FROM webhook_endpoints WHERE id = ?'),
      };
    });
  }

  async create(e: WebhookEndpointRecord): Promise<'created' | 'exists'> {
    const { changes } = await this.h.write(() => this.s().insert.run(...table.params(e, dialect)));
    return changes === 1 ? 'created' : 'exists';
  }

  get(id: string): Promise<WebhookEndpointRecord | null> {
    return this.h.read(() => {
      const r = this.s().get.get(id) as Record<string, unknown> | undefined;
      return r ? table.record(r, dialect) : null;
    });
  }

  list(tenant: string | null): Promise<WebhookEndpointRecord[]> {
    return this.h.read(() => {
      const rows = tenant === null ? this.s().listAll.all() : this.s().listOfTenant.all(tenant);
      return (rows as Record<string, unknown>[]).map((r) => table.record(r, dialect));
    });
  }

  async replace(e: WebhookEndpointRecord): Promise<boolean> {
    const { changes } = await this.h.write(() => this.s().replace.run(...table.params(e, dialect), e.id));
    return changes > 0;
  }

  async delete(id: string): Promise<boolean> {
    const { changes } = await this.h.write(() => this.s().delete.run(id));
    return changes > 0;
  }
}
