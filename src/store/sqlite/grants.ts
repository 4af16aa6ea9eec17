import type { GrantStore, OzGrantRecord } from '../parts/grants.js';
import type { OutboxEvent } from '../parts/outbox.js';
import { grants as table } from '../sql/tables.js';
import { dialect, type SqliteDb } from './db.js';
import type { SqliteOutbox } from './outbox.js';

/** Newest first; the id breaks ties so that every backend lists alike. */
const NEWEST_FIRST = 'ORDER BY created_on DESC, id DESC LIMIT @limit';

/** Oz grants on SQLite (table `oz_grants`): one statement each. */
export class SqliteGrants implements GrantStore {
  private readonly s;

  constructor(
    private readonly h: SqliteDb,
    private readonly outbox: SqliteOutbox,
  ) {
    this.s = h.prepared((db) => {
      const all = table.select(dialect);
      const list = (where: string) =>
        db.prepare(`SELECT ${all} FROM oz_grants WHERE ${where}exp > @now ${NEWEST_FIRST}`);
      return {
        insert: db.prepare(table.insert(dialect)),
        get: db.prepare(`SELECT ${all} FROM oz_grants WHERE id = ? AND exp > ?`),
        listAll: list(''),
        listOfApp: list('app = @app AND '),
        listOfUser: list('user_id = @user AND '),
        listOfAppAndUser: list('user_id = @user AND app = @app AND '),
        delete: db.prepare('DELETE FROM oz_grants WHERE id = ?'),
        deleteOfUser: db.prepare('DELETE FROM oz_grants WHERE user_id = ?'),
        purge: db.prepare(
          `DELETE FROM oz_grants WHERE rowid IN (
             SELECT rowid FROM oz_grants WHERE exp <= ? ORDER BY exp LIMIT ?)`,
        ),
      };
    });
  }

  async create(grant: OzGrantRecord, event?: OutboxEvent): Promise<void> {
    await this.h.write(() => {
      this.s().insert.run(...table.params(grant, dialect));
      if (event) this.outbox.appendStep([event]);
    });
  }

  get(id: string, now: number): Promise<OzGrantRecord | null> {
    return this.h.read(() => {
      const r = this.s().get.get(id, now) as Record<string, unknown> | undefined;
      return r ? table.record(r, dialect) : null;
    });
  }

  list(filter: { app?: string; user?: string }, now: number, limit: number): Promise<OzGrantRecord[]> {
    const { app, user } = filter;
    const p = { app, user, now, limit: Math.max(0, limit) }; // LIMIT -1 would mean no limit
    return this.h.read(() => {
      const s = this.s();
      let rows: unknown[];
      if (app !== undefined && user !== undefined) rows = s.listOfAppAndUser.all(p);
      else if (app !== undefined) rows = s.listOfApp.all({ app, now, limit: p.limit });
      else if (user !== undefined) rows = s.listOfUser.all({ user, now, limit: p.limit });
      else rows = s.listAll.all({ now, limit: p.limit });
      return (rows as Record<string, unknown>[]).map((r) => table.record(r, dialect));
    });
  }

  delete(id: string, event?: OutboxEvent): Promise<boolean> {
    return this.h.write(() => {
      const deleted = this.s().delete.run(id).changes > 0;
      if (deleted && event) this.outbox.appendStep([event]);
      return deleted;
    });
  }

  async deleteOfUser(user: string): Promise<number> {
    return (await this.h.write(() => this.s().deleteOfUser.run(user))).changes;
  }

  async purge(now: number, limit: number): Promise<number> {
    return (await this.h.write(() => this.s().purge.run(now, Math.max(0, limit)))).changes;
  }
}
