import type { AccessTokenRecord, AccessTokenStore } from '../parts/access-tokens.js';
import { accessTokens as table } from '../sql/tables.js';
import { dialect, type SqliteDb } from './db.js';

/** Access tokens on SQLite: one statement each; the primary key decides between concurrent creates. */
export class SqliteAccessTokens implements AccessTokenStore {
  private readonly s;

  constructor(private readonly h: SqliteDb) {
    this.s = h.prepared((db) => {
      const all = table.select(dialect);
      return {
        insert: db.prepare(`${table.insert(dialect)} ON CONFLICT (id) DO NOTHING`),
        get: db.prepare(`SELECT ${all} FROM access_tokens WHERE id = ?`),
        list: db.prepare(`SELECT ${all} FROM access_tokens ORDER BY created_on, id`),
        delete: db.prepare('DELETE FROM access_tokens WHERE id = ?'),
      };
    });
  }

  async create(token: AccessTokenRecord): Promise<'created' | 'exists'> {
    const { changes } = await this.h.write(() => this.s().insert.run(...table.params(token, dialect)));
    return changes === 1 ? 'created' : 'exists';
  }

  get(id: Buffer): Promise<AccessTokenRecord | null> {
    return this.h.read(() => {
      const row = this.s().get.get(id) as Record<string, unknown> | undefined;
      return row ? table.record(row, dialect) : null;
    });
  }

  list(): Promise<AccessTokenRecord[]> {
    return this.h.read(() => (this.s().list.all() as Record<string, unknown>[]).map((r) => table.record(r, dialect)));
  }

  async delete(id: Buffer): Promise<boolean> {
    return (await this.h.write(() => this.s().delete.run(id))).changes > 0;
  }
}
