import type { OutboxEvent } from '../parts/outbox.js';
import type { SessionKind, SessionRecord, SessionStore } from '../parts/sessions.js';
import { sessions as table } from '../sql/tables.js';
import { eventColumns, withEvents } from './outbox.js';
import { dialect, type PgPool, statement } from './pool.js';

/**
 * Profile sessions on PostgreSQL (table `sessions`, both kinds), one
 * statement each. touch is one UPDATE ... WHERE expires_at > now RETURNING:
 * a dead session matches nothing and stays dead. The purge takes a bounded
 * batch of ids through the expiry index, FOR UPDATE SKIP LOCKED, as
 * purge_tickets does.
 */
export class PgSessions implements SessionStore {
  private readonly sql;
  private readonly record = (row: Record<string, unknown>) => table.record(row, dialect);

  constructor(private readonly pg: PgPool) {
    const s = pg.s;
    const all = table.select(dialect);
    this.sql = {
      create: statement('session_create', table.insert(dialect, `${s}.sessions`)),
      get: statement('session_get', `SELECT ${all} FROM ${s}.sessions WHERE id = $1 AND kind = $2 AND expires_at > $3`),
      touch: statement(
        'session_touch',
        `UPDATE ${s}.sessions SET touched_at = $3, expires_at = $4, token = coalesce($5, token)
         WHERE id = $1 AND kind = $2 AND expires_at > $3
         RETURNING ${all}`,
      ),
      delete: statement('session_delete', `DELETE FROM ${s}.sessions WHERE id = $1 AND kind = $2`),
      deleteEv: statement(
        'session_delete_ev',
        withEvents(s, `DELETE FROM ${s}.sessions WHERE id = $1 AND kind = $2 RETURNING id`, 3),
      ),
      deleteOfProfile: statement('session_delete_of_profile', `DELETE FROM ${s}.sessions WHERE profile_id = $1`),
      deleteOfProfileEv: statement(
        'session_delete_of_profile_ev',
        withEvents(
          s,
          `DELETE FROM ${s}.sessions WHERE profile_id = $1 RETURNING id`,
          2,
          'TRUE',
          'SELECT count(*)::int AS n FROM done',
        ),
      ),
      purge: statement(
        'session_purge',
        `DELETE FROM ${s}.sessions WHERE id = ANY (ARRAY(
           SELECT id FROM ${s}.sessions WHERE expires_at <= $1
            ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED))`,
      ),
    };
  }

  async create(session: SessionRecord): Promise<void> {
    await this.pg.query(this.sql.create, table.params(session, dialect));
  }

  get(kind: SessionKind, id: Buffer, now: number): Promise<SessionRecord | null> {
    return this.pg.one(this.record, this.sql.get, [id, kind, now]);
  }

  touch(kind: SessionKind, id: Buffer, now: number, expiresAt: number, token?: Buffer): Promise<SessionRecord | null> {
    return this.pg.one(this.record, this.sql.touch, [id, kind, now, expiresAt, token ?? null]);
  }

  async delete(kind: SessionKind, id: Buffer, event?: OutboxEvent): Promise<boolean> {
    if (event) return (await this.pg.query(this.sql.deleteEv, [id, kind, ...eventColumns([event])])).rows.length > 0;
    return (await this.pg.count(this.sql.delete, [id, kind])) > 0;
  }

  async deleteOfProfile(profileId: string, event?: OutboxEvent): Promise<number> {
    if (!event) return this.pg.count(this.sql.deleteOfProfile, [profileId]);
    const res = await this.pg.query<{ n: number }>(this.sql.deleteOfProfileEv, [profileId, ...eventColumns([event])]);
    return res.rows[0]?.n ?? 0;
  }

  async purge(now: number, limit: number): Promise<number> {
    return limit <= 0 ? 0 : this.pg.count(this.sql.purge, [now, Math.floor(limit)]);
  }
}
