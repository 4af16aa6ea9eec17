import type { OutboxEvent } from '../parts/outbox.js';
import type { SessionKind, SessionRecord, SessionStore } from '../parts/sessions.js';
import { sessions as table } from '../sql/tables.js';
import { dialect, type SqliteDb } from './db.js';
import type { SqliteOutbox } from './outbox.js';

/**
 * Profile sessions on SQLite (table `sessions`, both kinds). Each method is
 * one statement; touch is one conditional UPDATE, so a session dead at
 * `now` matches nothing and stays dead.
 */
export class SqliteSessions implements SessionStore {
  private readonly s;

  constructor(
    private readonly h: SqliteDb,
    private readonly outbox: SqliteOutbox,
  ) {
    this.s = h.prepared((db) => {
      const all = table.select(dialect);
      return {
        insert: db.prepare(table.insert(dialect)),
        get: db.prepare(`SELECT ${all} FROM sessions WHERE id = ? AND kind = ? AND expires_at > ?`),
        // Positional parameters: binding named ones costs twice as much (profile-get slides a session per request).
        touch: db.prepare(
          `UPDATE sessions SET touched_at = ?, expires_at = ? WHERE id = ? AND kind = ? AND expires_at > ? RETURNING ${all}`,
        ),
        refresh: db.prepare(
          `UPDATE sessions SET touched_at = ?, expires_at = ?, token = ?
           WHERE id = ? AND kind = ? AND expires_at > ? RETURNING ${all}`,
        ),
        delete: db.prepare('DELETE FROM sessions WHERE id = ? AND kind = ?'),
        deleteOfProfile: db.prepare('DELETE FROM sessions WHERE profile_id = ?'),
        purge: db.prepare(
          `DELETE FROM sessions WHERE rowid IN (
             SELECT rowid FROM sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`,
        ),
      };
    });
  }

  async create(session: SessionRecord): Promise<void> {
    await this.h.write(() => this.s().insert.run(...table.params(session, dialect)));
  }

  get(kind: SessionKind, id: Buffer, now: number): Promise<SessionRecord | null> {
    return this.h.read(() => row(this.s().get.get(id, kind, now)));
  }

  touch(kind: SessionKind, id: Buffer, now: number, expiresAt: number, token?: Buffer): Promise<SessionRecord | null> {
    return this.h.write(() =>
      row(
        token === undefined
          ? this.s().touch.get(now, expiresAt, id, kind, now)
          : this.s().refresh.get(now, expiresAt, token, id, kind, now),
      ),
    );
  }

  delete(kind: SessionKind, id: Buffer, event?: OutboxEvent): Promise<boolean> {
    return this.h.write(() => {
      const deleted = this.s().delete.run(id, kind).changes > 0;
      if (deleted && event) this.outbox.appendStep([event]);
      return deleted;
    });
  }

  deleteOfProfile(profileId: string, event?: OutboxEvent): Promise<number> {
    return this.h.write(() => {
      const n = this.s().deleteOfProfile.run(profileId).changes;
      if (event) this.outbox.appendStep([event]);
      return n;
    });
  }

  async purge(now: number, limit: number): Promise<number> {
    return (await this.h.write(() => this.s().purge.run(now, Math.max(0, limit)))).changes;
  }
}

const row = (r: unknown): SessionRecord | null => (r ? table.record(r as Record<string, unknown>, dialect) : null);
