import {
  type LoginFailure,
  type ProfilePatch,
  type ProfileRecord,
  type ProfileStore,
  patchFields,
} from '../parts/profiles.js';
import { profiles as table } from '../sql/tables.js';
import { toJsonb } from './json.js';
import { dialect, type PgPool, statement } from './pool.js';

/** The unique index a rename can violate. */
const USERNAME_INDEX = 'profiles_tenant_username';

/**
 * Profiles on PostgreSQL. Each operation is one statement, so one round trip
 * and one transaction:
 * - create: INSERT ... ON CONFLICT DO NOTHING; the unique index decides
 *   between concurrent creates (a loser waits for the winner's commit, then
 *   inserts nothing).
 * - update: one UPDATE; a rename onto a taken username violates the unique
 *   (tenant, username) index (23505), which is answered with `exists`;
 *   concurrent renames to one name queue on the index entry.
 * - recordLoginFailure: one UPDATE computing the new count and lock from the
 *   row's current values (countFailure of parts/profiles.ts, in CASE);
 *   concurrent calls queue on the row lock and each re-reads the row the one
 *   before it wrote, so none is lost.
 * - delete: the PL/pgSQL function delete_profile (its sessions, then the row).
 */
export class PgProfiles implements ProfileStore {
  private readonly sql;
  private readonly record = (row: Record<string, unknown>) => table.record(row, dialect);

  constructor(private readonly pg: PgPool) {
    const s = pg.s;
    const all = table.select(dialect);
    this.sql = {
      create: statement(
        'profile_create',
        `${table.insert(dialect, `${s}.profiles`)} ON CONFLICT (tenant, username) DO NOTHING`,
      ),
      get: statement('profile_get', `SELECT ${all} FROM ${s}.profiles WHERE id = $1`),
      byUsername: statement(
        'profile_by_username',
        `SELECT ${all} FROM ${s}.profiles WHERE tenant = $1 AND username = $2`,
      ),
      list: statement(
        'profile_list',
        `SELECT ${all} FROM ${s}.profiles WHERE tenant = $1 ORDER BY username LIMIT $2 OFFSET $3`,
      ),
      count: statement('profile_count', `SELECT count(*) AS n FROM ${s}.profiles WHERE tenant = $1`),
      // Absent fields are NULL parameters and keep their value; the password
      // hash may be set to NULL, so it comes with a flag ($4).
      update: statement(
        'profile_update',
        `UPDATE ${s}.profiles SET
           username = coalesce($2, username),
           email = coalesce($3, email),
           password_hash = CASE WHEN $4::boolean THEN $5::text ELSE password_hash END,
           enabled = coalesce($6, enabled),
           verified = coalesce($7, verified),
           roles = coalesce($8::jsonb, roles),
           attributes = coalesce($9::jsonb, attributes),
           last_modified = $10
         WHERE id = $1
         RETURNING ${all}`,
      ),
      delete: statement('profile_delete', `SELECT ${s}.delete_profile($1) AS found`),
      // countFailure on the row as it is when this UPDATE holds its lock: a
      // lock that ended at or before now ($2) is cleared with its count;
      // reaching lockAfter ($3 > 0) locks until now + lockMs ($4) unless a lock
      // is running, which is never extended. The SET expressions all read the
      // row before this update; RETURNING gives it after.
      recordLoginFailure: statement(
        'profile_record_failure',
        `UPDATE ${s}.profiles SET
           failed_login_attempts =
             CASE WHEN locked_until <= $2::bigint THEN 0 ELSE failed_login_attempts END + 1,
           last_failed_login = $2::bigint,
           locked_until = CASE
             WHEN locked_until > $2::bigint THEN locked_until
             WHEN $3::integer > 0
                  AND CASE WHEN locked_until <= $2::bigint THEN 0 ELSE failed_login_attempts END + 1 >= $3::integer
               THEN $2::bigint + $4::bigint
             ELSE NULL
           END
         WHERE id = $1
         RETURNING failed_login_attempts, locked_until`,
      ),
      resetLoginFailures: statement(
        'profile_reset_failures',
        `UPDATE ${s}.profiles SET failed_login_attempts = 0, locked_until = NULL WHERE id = $1`,
      ),
    };
  }

  async create(profile: ProfileRecord): Promise<'created' | 'exists'> {
    const res = await this.pg.query(this.sql.create, table.params(profile, dialect));
    return res.rowCount === 1 ? 'created' : 'exists';
  }

  get(id: string): Promise<ProfileRecord | null> {
    return this.pg.one(this.record, this.sql.get, [id]);
  }

  getByUsername(tenant: string, username: string): Promise<ProfileRecord | null> {
    return this.pg.one(this.record, this.sql.byUsername, [tenant, username]);
  }

  async list(tenant: string, offset: number, limit: number): Promise<ProfileRecord[]> {
    return (await this.pg.query(this.sql.list, [tenant, limit, offset])).rows.map(this.record);
  }

  async count(tenant: string): Promise<number> {
    return Number((await this.pg.query<{ n: string }>(this.sql.count, [tenant])).rows[0]?.n ?? 0);
  }

  async update(id: string, patch: ProfilePatch, now: number): Promise<ProfileRecord | 'exists' | null> {
    const p = patchFields(patch);
    const params = [
      id,
      p.username ?? null,
      p.email ?? null,
      p.passwordHash !== undefined,
      p.passwordHash ?? null,
      p.enabled ?? null,
      p.verified ?? null,
      p.roles === undefined ? null : toJsonb(p.roles),
      p.attributes === undefined ? null : toJsonb(p.attributes),
      now,
    ];
    try {
      return await this.pg.one(this.record, this.sql.update, params);
    } catch (err) {
      // The new username is taken in the tenant: the statement changed nothing.
      const { code, constraint } = err as { code?: unknown; constraint?: unknown };
      if (code === '23505' && constraint === USERNAME_INDEX) return 'exists';
      throw err;
    }
  }

  async delete(id: string): Promise<boolean> {
    return (await this.pg.query<{ found: boolean }>(this.sql.delete, [id])).rows[0]?.found === true;
  }

  async recordLoginFailure(id: string, now: number, lockAfter: number, lockMs: number): Promise<LoginFailure | null> {
    const res = await this.pg.query<{ failed_login_attempts: number; locked_until: string | null }>(
      this.sql.recordLoginFailure,
      [id, now, lockAfter, lockMs],
    );
    const row = res.rows[0];
    if (!row) return null;
    return {
      failedLoginAttempts: row.failed_login_attempts,
      lockedUntil: row.locked_until === null ? null : Number(row.locked_until),
    };
  }

  async resetLoginFailures(id: string): Promise<void> {
    await this.pg.query(this.sql.resetLoginFailures, [id]);
  }
}
