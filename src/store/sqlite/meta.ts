import type { MetaStore } from '../parts/meta.js';
import type { SqliteDb } from './db.js';

/** Process-wide values on SQLite (table `meta`). */
export class SqliteMeta implements MetaStore {
  private readonly s;

  constructor(private readonly h: SqliteDb) {
    this.s = h.prepared((db) => {
      const get = db.prepare('SELECT value FROM meta WHERE key = ?');
      const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING');
      const put = db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      );
      const remove = db.prepare('DELETE FROM meta WHERE key = ?');
      return {
        put: (key: string, value: string) => void put.run(key, value),
        delete: (key: string) => remove.run(key).changes > 0,
        get: (key: string) => (get.get(key) as { value: string } | undefined)?.value ?? null,
        // Runs IMMEDIATE in the group commit: nobody writes between the insert and the read.
        putIfAbsent: (key: string, value: string) => {
          insert.run(key, value);
          return (get.get(key) as { value: string }).value;
        },
      };
    });
  }

  get(key: string): Promise<string | null> {
    return this.h.read(() => this.s().get(key));
  }

  putIfAbsent(key: string, value: string): Promise<string> {
    return this.h.write(() => this.s().putIfAbsent(key, value));
  }

  put(key: string, value: string): Promise<void> {
    return this.h.write(() => this.s().put(key, value));
  }

  delete(key: string): Promise<boolean> {
    return this.h.write(() => this.s().delete(key));
  }
}
