import {
  countFailure,
  type LoginFailure,
  type ProfilePatch,
  type ProfileRecord,
  type ProfileStore,
  patchFields,
} from '../parts/profiles.js';
import { profiles as table } from '../sql/tables.js';
import { dialect, type SqliteDb } from './db.js';

/**
 * Profiles on SQLite. Every write is one step of the group commit (db.ts),
 * which runs it in an IMMEDIATE transaction: it holds the file's write lock
 * from before it reads, so read-modify-write steps (update, delete,
 * recordLoginFailure) are atomic and never lose an update, in this process
 * or any other on the file.
 */
export class SqliteProfiles implements ProfileStore {
  private readonly s;

  constructor(private readonly h: SqliteDb) {
    this.s = h.prepared((db) => {
      const all = table.select(dialect);
      const s = {
        insert: db.prepare(`${table.insert(dialect)} ON CONFLICT (tenant, username) DO NOTHING`),
        get: db.prepare(`SELECT ${all} FROM profiles WHERE id = ?`),
        byUsername: db.prepare(`SELECT ${all} FROM profiles WHERE tenant = ? AND username = ?`),
        list: db.prepare(`SELECT ${all} FROM profiles WHERE tenant = ? ORDER BY username LIMIT ? OFFSET ?`),
        count: db.prepare('SELECT COUNT(*) AS n FROM profiles WHERE tenant = ?'),
        update: db.prepare(
          `UPDATE profiles SET username = ?, email = ?, password_hash = ?, enabled = ?, verified = ?, roles = ?,
             attributes = ?, last_modified = ? WHERE id = ?`,
        ),
        setFailures: db.prepare(
          'UPDATE profiles SET failed_login_attempts = ?, last_failed_login = ?, locked_until = ? WHERE id = ?',
        ),
        resetFailures: db.prepare('UPDATE profiles SET failed_login_attempts = 0, locked_until = NULL WHERE id = ?'),
        deleteSessions: db.prepare('DELETE FROM sessions WHERE profile_id = ?'),
        delete: db.prepare('DELETE FROM profiles WHERE id = ?'),
      };
      const find = (id: string) => {
        const row = s.get.get(id) as Record<string, unknown> | undefined;
        return row ? table.record(row, dialect) : null;
      };
      return {
        ...s,
        find,
        update: (id: string, patch: ProfilePatch, now: number): ProfileRecord | 'exists' | null => {
          const current = find(id);
          if (!current) return null;
          const p: ProfileRecord = { ...current, ...patchFields(patch), lastModified: now };
          if (p.username !== current.username && s.byUsername.get(p.tenant, p.username)) return 'exists';
          const [, , username, email, hash, enabled, verified, roles, attributes] = table.params(p, dialect);
          s.update.run(username, email, hash, enabled, verified, roles, attributes, now, id);
          // Read back: the caller gets the record as stored, sharing nothing with its patch.
          return find(id);
        },
        delete: (id: string): boolean => {
          s.deleteSessions.run(id);
          return s.delete.run(id).changes > 0;
        },
        recordLoginFailure: (id: string, now: number, lockAfter: number, lockMs: number): LoginFailure | null => {
          const current = find(id);
          if (!current) return null;
          const c = countFailure(current, now, lockAfter, lockMs);
          s.setFailures.run(c.failedLoginAttempts, c.lastFailedLogin, c.lockedUntil, id);
          return { failedLoginAttempts: c.failedLoginAttempts, lockedUntil: c.lockedUntil };
        },
      };
    });
  }

  async create(p: ProfileRecord): Promise<'created' | 'exists'> {
    // One statement: the unique (tenant, username) index decides between concurrent creates.
    const { changes } = await this.h.write(() => this.s().insert.run(...table.params(p, dialect)));
    return changes === 1 ? 'created' : 'exists';
  }

  get(id: string): Promise<ProfileRecord | null> {
    return this.h.read(() => this.s().find(id));
  }

  getByUsername(tenant: string, username: string): Promise<ProfileRecord | null> {
    return this.h.read(() => {
      const row = this.s().byUsername.get(tenant, username) as Record<string, unknown> | undefined;
      return row ? table.record(row, dialect) : null;
    });
  }

  list(tenant: string, offset: number, limit: number): Promise<ProfileRecord[]> {
    return this.h.read(() =>
      (this.s().list.all(tenant, limit, offset) as Record<string, unknown>[]).map((r) => table.record(r, dialect)),
    );
  }

  count(tenant: string): Promise<number> {
    return this.h.read(() => (this.s().count.get(tenant) as { n: number }).n);
  }

  update(id: string, patch: ProfilePatch, now: number): Promise<ProfileRecord | 'exists' | null> {
    return this.h.write(() => this.s().update(id, patch, now));
  }

  delete(id: string): Promise<boolean> {
    return this.h.write(() => this.s().delete(id));
  }

  recordLoginFailure(id: string, now: number, lockAfter: number, lockMs: number): Promise<LoginFailure | null> {
    return this.h.write(() => this.s().recordLoginFailure(id, now, lockAfter, lockMs));
  }

  async resetLoginFailures(id: string): Promise<void> {
    await this.h.write(() => this.s().resetFailures.run(id));
  }
}
