import type { AppStore, OzAppRecord } from '../parts/apps.js';
import type { OutboxEvent } from '../parts/outbox.js';
import { apps as table } from '../sql/tables.js';
import { dialect, type SqliteDb } from './db.js';
import type { SqliteOutbox } from './outbox.js';

/** Oz apps on SQLite (table `oz_apps`): one statement each; delete takes the app's grants in the same step. */
export class SqliteApps implements AppStore {
  private readonly s;

  constructor(
    private readonly h: SqliteDb,
    private readonly outbox: SqliteOutbox,
  ) {
    this.s = h.prepared((db) => {
      const all = table.select(dialect);
      const deleteGrants = db.prepare('DELETE FROM oz_grants WHERE app = ?');
      const deleteApp = db.prepare('DELETE FROM oz_apps WHERE id = ?');
      return {
        // The primary key decides between concurrent creates.
        insert: db.prepare(`${table.insert(dialect)} ON CONFLICT (id) DO NOTHING`),
        get: db.prepare(`SELECT ${all} FROM oz_apps WHERE id = ?`),
        listAll: db.prepare(`SELECT ${all} FROM oz_apps ORDER BY id`),
        listOfTenant: db.prepare(`SELECT ${all} FROM oz_apps WHERE tenant = ? ORDER BY id`),
        setKey: db.prepare(`UPDATE oz_apps SET key = ? WHERE id = ? RETURNING ${all}`),
        delete: (id: string) => {
          deleteGrants.run(id);
          return deleteApp.run(id).changes > 0;
        },
      };
    });
  }

  async create(app: OzAppRecord): Promise<'created' | 'exists'> {
    const { changes } = await this.h.write(() => this.s().insert.run(...table.params(app, dialect)));
    return changes === 1 ? 'created' : 'exists';
  }

  get(id: string): Promise<OzAppRecord | null> {
    return this.h.read(() => row(this.s().get.get(id)));
  }

  list(tenant: string | null): Promise<OzAppRecord[]> {
    return this.h.read(() => {
      const rows = tenant === null ? this.s().listAll.all() : this.s().listOfTenant.all(tenant);
      return (rows as Record<string, unknown>[]).map((r) => table.record(r, dialect));
    });
  }

  setKey(id: string, key: string, event?: OutboxEvent): Promise<OzAppRecord | null> {
    return this.h.write(() => {
      const app = row(this.s().setKey.get(key, id));
      if (app && event) this.outbox.appendStep([event]);
      return app;
    });
  }

  delete(id: string): Promise<boolean> {
    return this.h.write(() => this.s().delete(id));
  }
}

const row = (r: unknown): OzAppRecord | null => (r ? table.record(r as Record<string, unknown>, dialect) : null);
