import type { MetaStore } from '../parts/meta.js';
import type { SqliteDb } from './db.js';

/** Process-wide values on SQLite (table `meta`). */
export class SqliteMeta implements MetaStore {
  private readonly s;

  constructor(private readonly h: SqliteDb) {
    this.s = h.prepared((db) => {
      const get = db.prepare('SELECT value FROM meta WHERE key = ?');
      const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING');
      return {
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
}
