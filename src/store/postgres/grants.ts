import type { GrantStore, OzGrantRecord } from '../parts/grants.js';
import type { OutboxEvent } from '../parts/outbox.js';
import { grants as table } from '../sql/tables.js';
import { eventColumns, withEvents } from './outbox.js';
import { dialect, type PgPool, statement } from './pool.js';

/**
 * Oz grants on PostgreSQL, one statement each. list is one of four
 * statements (by app, by user, by both, none), each walking an index in
 * (created_on DESC, id DESC) order and stopping after `limit` live rows. The
 * purge takes a bounded batch through the expiry index, FOR UPDATE SKIP LOCKED.
 */
export class PgGrants implements GrantStore {
  private readonly sql;
  private readonly record = (row: Record<string, unknown>) => table.record(row, dialect);

  constructor(private readonly pg: PgPool) {
    const s = pg.s;
    const all = table.select(dialect);
    /** Live grants matching `where` (whose last parameters are now and limit), newest first. */
    const list = (name: string, where: string, now: string, limit: string) =>
      statement(
        name,
        `SELECT ${all} FROM ${s}.oz_grants WHERE ${where}exp > ${now} ORDER BY created_on DESC, id DESC LIMIT ${limit}`,
      );
    this.sql = {
      create: statement('grant_create', table.insert(dialect, `${s}.oz_grants`)),
      createEv: statement(
        'grant_create_ev',
        withEvents(s, `${table.insert(dialect, `${s}.oz_grants`)} RETURNING id`, 9),
      ),
      get: statement('grant_get', `SELECT ${all} FROM ${s}.oz_grants WHERE id = $1 AND exp > $2`),
      listOfApp: list('grant_list_of_app', 'app = $1 AND ', '$2', '$3'),
      listOfUser: list('grant_list_of_user', 'user_id = $1 AND ', '$2', '$3'),
      listOfAppAndUser: list('grant_list_of_app_user', 'user_id = $2 AND app = $1 AND ', '$3', '$4'),
      listAll: list('grant_list', '', '$1', '$2'),
      delete: statement('grant_delete', `DELETE FROM ${s}.oz_grants WHERE id = $1`),
      deleteEv: statement('grant_delete_ev', withEvents(s, `DELETE FROM ${s}.oz_grants WHERE id = $1 RETURNING id`, 2)),
      deleteOfUser: statement('grant_delete_of_user', `DELETE FROM ${s}.oz_grants WHERE user_id = $1`),
      purge: statement(
        'grant_purge',
        `DELETE FROM ${s}.oz_grants WHERE id = ANY (ARRAY(
           SELECT id FROM ${s}.oz_grants WHERE exp <= $1
            ORDER BY exp LIMIT $2 FOR UPDATE SKIP LOCKED))`,
      ),
    };
  }

  async create(grant: OzGrantRecord, event?: OutboxEvent): Promise<void> {
    const values = table.params(grant, dialect);
    if (event) await this.pg.query(this.sql.createEv, [...values, ...eventColumns([event])]);
    else await this.pg.query(this.sql.create, values);
  }

  get(id: string, now: number): Promise<OzGrantRecord | null> {
    return this.pg.one(this.record, this.sql.get, [id, now]);
  }

  async list(filter: { app?: string; user?: string }, now: number, limit: number): Promise<OzGrantRecord[]> {
    if (limit <= 0) return [];
    const n = Math.floor(limit);
    const { app, user } = filter;
    const [sql, params] =
      app !== undefined && user !== undefined
        ? [this.sql.listOfAppAndUser, [app, user, now, n]]
        : app !== undefined
          ? [this.sql.listOfApp, [app, now, n]]
          : user !== undefined
            ? [this.sql.listOfUser, [user, now, n]]
            : [this.sql.listAll, [now, n]];
    return (await this.pg.query(sql, params)).rows.map(this.record);
  }

  async delete(id: string, event?: OutboxEvent): Promise<boolean> {
    if (event) return (await this.pg.query(this.sql.deleteEv, [id, ...eventColumns([event])])).rows.length > 0;
    return (await this.pg.count(this.sql.delete, [id])) > 0;
  }

  deleteOfUser(user: string): Promise<number> {
    return this.pg.count(this.sql.deleteOfUser, [user]);
  }

  async purge(now: number, limit: number): Promise<number> {
    return limit <= 0 ? 0 : this.pg.count(this.sql.purge, [now, Math.floor(limit)]);
  }
}
