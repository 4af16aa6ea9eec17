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
}
