import type { AccessTokenRecord, AccessTokenStore } from '../parts/access-tokens.js';
import { accessTokens as table } from '../sql/tables.js';
import { dialect, type PgPool, statement } from './pool.js';

/** Access tokens on PostgreSQL, one statement each; the primary key decides between concurrent creates. */
export class PgAccessTokens implements AccessTokenStore {
  private readonly sql;
  private readonly record = (row: Record<string, unknown>) => table.record(row, dialect);

  constructor(private readonly pg: PgPool) {
    const s = pg.s;
    const all = table.select(dialect);
    this.sql = {
      create: statement(
        'access_token_create',
        `${table.insert(dialect, `${s}.access_tokens`)} ON CONFLICT (id) DO NOTHING`,
      ),
      get: statement('access_token_get', `SELECT ${all} FROM ${s}.access_tokens WHERE id = $1`),
      list: statement('access_token_list', `SELECT ${all} FROM ${s}.access_tokens ORDER BY created_on, id`),
      delete: statement('access_token_delete', `DELETE FROM ${s}.access_tokens WHERE id = $1`),
    };
  }

  async create(token: AccessTokenRecord): Promise<'created' | 'exists'> {
    return (await this.pg.count(this.sql.create, table.params(token, dialect))) === 1 ? 'created' : 'exists';
  }

  get(id: Buffer): Promise<AccessTokenRecord | null> {
    return this.pg.one(this.record, this.sql.get, [id]);
  }

  async list(): Promise<AccessTokenRecord[]> {
    return (await this.pg.query(this.sql.list)).rows.map(this.record);
  }

  async delete(id: Buffer): Promise<boolean> {
    return (await this.pg.count(this.sql.delete, [id])) > 0;
  }
}
