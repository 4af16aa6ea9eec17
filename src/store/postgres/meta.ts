import type { MetaStore } from '../parts/meta.js';
import { type PgPool, statement } from './pool.js';

/** Process-wide values on PostgreSQL (table `meta`, UTF-8 bytea: text cannot hold U+0000). */
export class PgMeta implements MetaStore {
  private readonly sql;

  constructor(private readonly pg: PgPool) {
    const s = pg.s;
    this.sql = {
      get: statement('meta_get', `SELECT value FROM ${s}.meta WHERE key = $1`),
      // A PL/pgSQL function of migration 2: see there why one statement would not do.
      putIfAbsent: statement('meta_put_if_absent', `SELECT ${s}.put_meta_if_absent($1, $2) AS value`),
      put: statement(
        'meta_put',
        `INSERT INTO ${s}.meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      ),
      delete: statement('meta_delete', `DELETE FROM ${s}.meta WHERE key = $1`),
    };
  }

  async get(key: string): Promise<string | null> {
    const res = await this.pg.query<{ value: Buffer }>(this.sql.get, [key]);
    return res.rows[0]?.value.toString('utf8') ?? null;
  }

  async putIfAbsent(key: string, value: string): Promise<string> {
    const res = await this.pg.query<{ value: Buffer | null }>(this.sql.putIfAbsent, [key, Buffer.from(value, 'utf8')]);
    const stored = res.rows[0]?.value;
    if (!stored) throw new Error(`postgres: put_meta_if_absent returned no value for "${key}"`);
    return stored.toString('utf8');
  }

  async put(key: string, value: string): Promise<void> {
    await this.pg.query(this.sql.put, [key, Buffer.from(value, 'utf8')]);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.pg.count(this.sql.delete, [key])) > 0;
  }
}
