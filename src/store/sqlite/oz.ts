import type Database from 'better-sqlite3';
import type { OzAppRecord, OzGrantRecord } from '../oz-types.js';

interface AppRow {
  id: string;
  tenant: string;
  key: string;
  algorithm: string;
  scope: string;
  delegate: number;
  ext_attributes: string;
  created_on: number;
}
interface GrantRow {
  id: string;
  tenant: string;
  app: string;
  user_id: string;
  scope: string;
  exp: number;
  session: Buffer | null;
  created_on: number;
}

const APP = 'id, tenant, key, algorithm, scope, delegate, ext_attributes, created_on';
const GRANT = 'id, tenant, app, user_id, scope, exp, session, created_on';
/** Newest first; the id breaks ties so that every backend lists alike. */
const NEWEST_FIRST = 'ORDER BY created_on DESC, id DESC LIMIT @limit';

/**
 * The Oz side of the SQLite store (oz-types.ts), over the tables of
 * migration 3. Every method is one statement (atomic by itself: a writing
 * statement takes the file's write lock before it reads, and SQLite
 * serialises writers across processes) or, for deleteApp, one IMMEDIATE
 * transaction. useNonce in particular is a single upsert that only rewrites
 * an expired record, so of concurrent calls with one pair, from any number
 * of processes, exactly one inserts or revives it. Prepared once, after the
 * tables exist; the caller (SqliteStore) maps errors.
 */
export class SqliteOz {
  private readonly s;
  private readonly deleteAppTxn;

  constructor(private readonly db: Database.Database) {
    this.s = this.prepare();
    const s = this.s;
    this.deleteAppTxn = db.transaction((id: string): boolean => {
      s.deleteGrantsOfApp.run(id);
      return s.deleteApp.run(id).changes > 0;
    });
  }

  // ---- apps -----------------------------------------------------------------

  createApp(a: OzAppRecord): 'created' | 'exists' {
    // One statement: the primary key decides between concurrent creates.
    const changes = this.s.insertApp.run(
      a.id,
      a.tenant,
      a.key,
      a.algorithm,
      JSON.stringify(a.scope),
      a.delegate ? 1 : 0,
      JSON.stringify(a.extAttributes),
      a.createdOn,
    ).changes;
    return changes === 1 ? 'created' : 'exists';
  }

  getApp(id: string): OzAppRecord | null {
    const row = this.s.getApp.get(id) as AppRow | undefined;
    return row ? toApp(row) : null;
  }

  listApps(tenant: string | null): OzAppRecord[] {
    const rows = (tenant === null ? this.s.listAllApps.all() : this.s.listAppsOfTenant.all(tenant)) as AppRow[];
    return rows.map(toApp);
  }

  setAppKey(id: string, key: string): OzAppRecord | null {
    const row = this.s.setAppKey.get(key, id) as AppRow | undefined;
    return row ? toApp(row) : null;
  }

  deleteApp(id: string): boolean {
    return this.deleteAppTxn.immediate(id);
  }

  /** Removes the tenant's apps with their grants; the caller runs it inside deleteTenant's transaction. */
  deleteTenant(tenant: string): void {
    this.s.deleteGrantsOfTenantApps.run(tenant);
    this.s.deleteAppsOfTenant.run(tenant);
  }

  // ---- grants ---------------------------------------------------------------

  createGrant(g: OzGrantRecord): void {
    this.s.insertGrant.run(g.id, g.tenant, g.app, g.user, JSON.stringify(g.scope), g.exp, g.session, g.createdOn);
  }

  getGrant(id: string, now: number): OzGrantRecord | null {
    const row = this.s.getGrant.get(id, now) as GrantRow | undefined;
    return row ? toGrant(row) : null;
  }

  listGrants(filter: { app?: string; user?: string }, now: number, limit: number): OzGrantRecord[] {
    const { app, user } = filter;
    const n = Math.max(0, limit); // LIMIT -1 would mean no limit
    let rows: unknown[];
    if (app !== undefined && user !== undefined) rows = this.s.listGrantsOfAppAndUser.all({ app, user, now, limit: n });
    else if (app !== undefined) rows = this.s.listGrantsOfApp.all({ app, now, limit: n });
    else if (user !== undefined) rows = this.s.listGrantsOfUser.all({ user, now, limit: n });
    else rows = this.s.listGrants.all({ now, limit: n });
    return (rows as GrantRow[]).map(toGrant);
  }

  deleteGrant(id: string): boolean {
    return this.s.deleteGrant.run(id).changes > 0;
  }

  deleteGrantsOfUser(user: string): number {
    return this.s.deleteGrantsOfUser.run(user).changes;
  }

  purgeGrants(now: number, limit: number): number {
    return this.s.purgeGrants.run(now, Math.max(0, limit)).changes;
  }

  // ---- Hawk nonces ----------------------------------------------------------

  useNonce(credentialId: string, nonce: string, now: number, expiresAt: number): boolean {
    return this.s.useNonce.get({ credentialId, nonce, now, expiresAt }) !== undefined;
  }

  purgeNonces(now: number, limit: number): number {
    return this.s.purgeNonces.run(now, Math.max(0, limit)).changes;
  }

  private prepare() {
    const db = this.db;
    return {
      // Apps
      insertApp: db.prepare(`INSERT INTO oz_apps (${APP}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
      getApp: db.prepare(`SELECT ${APP} FROM oz_apps WHERE id = ?`),
      listAllApps: db.prepare(`SELECT ${APP} FROM oz_apps ORDER BY id`),
      listAppsOfTenant: db.prepare(`SELECT ${APP} FROM oz_apps WHERE tenant = ? ORDER BY id`),
      setAppKey: db.prepare(`UPDATE oz_apps SET key = ? WHERE id = ? RETURNING ${APP}`),
      deleteApp: db.prepare('DELETE FROM oz_apps WHERE id = ?'),
      deleteAppsOfTenant: db.prepare('DELETE FROM oz_apps WHERE tenant = ?'),
      deleteGrantsOfTenantApps: db.prepare(
        'DELETE FROM oz_grants WHERE app IN (SELECT id FROM oz_apps WHERE tenant = ?)',
      ),

      // Grants
      insertGrant: db.prepare(`INSERT INTO oz_grants (${GRANT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      getGrant: db.prepare(`SELECT ${GRANT} FROM oz_grants WHERE id = ? AND exp > ?`),
      listGrants: db.prepare(`SELECT ${GRANT} FROM oz_grants WHERE exp > @now ${NEWEST_FIRST}`),
      listGrantsOfApp: db.prepare(`SELECT ${GRANT} FROM oz_grants WHERE app = @app AND exp > @now ${NEWEST_FIRST}`),
      listGrantsOfUser: db.prepare(
        `SELECT ${GRANT} FROM oz_grants WHERE user_id = @user AND exp > @now ${NEWEST_FIRST}`,
      ),
      listGrantsOfAppAndUser: db.prepare(
        `SELECT ${GRANT} FROM oz_grants WHERE user_id = @user AND app = @app AND exp > @now ${NEWEST_FIRST}`,
      ),
      deleteGrant: db.prepare('DELETE FROM oz_grants WHERE id = ?'),
      deleteGrantsOfApp: db.prepare('DELETE FROM oz_grants WHERE app = ?'),
      deleteGrantsOfUser: db.prepare('DELETE FROM oz_grants WHERE user_id = ?'),
      purgeGrants: db.prepare(
        `DELETE FROM oz_grants WHERE rowid IN (
           SELECT rowid FROM oz_grants WHERE exp <= ? ORDER BY exp LIMIT ?)`,
      ),

      // Hawk nonces: insert, or revive a record that is dead at `now`; a row comes back only then.
      useNonce: db.prepare(
        `INSERT INTO oz_nonces (credential_id, nonce, expires_at) VALUES (@credentialId, @nonce, @expiresAt)
         ON CONFLICT (credential_id, nonce) DO UPDATE SET expires_at = excluded.expires_at
           WHERE oz_nonces.expires_at <= @now
         RETURNING 1 AS accepted`,
      ),
      purgeNonces: db.prepare(
        `DELETE FROM oz_nonces WHERE rowid IN (
           SELECT rowid FROM oz_nonces WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`,
      ),
    };
  }
}

function toApp(row: AppRow): OzAppRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    key: row.key,
    algorithm: row.algorithm as 'sha256',
    scope: JSON.parse(row.scope) as string[],
    delegate: row.delegate === 1,
    extAttributes: JSON.parse(row.ext_attributes) as string[],
    createdOn: row.created_on,
  };
}

function toGrant(row: GrantRow): OzGrantRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    app: row.app,
    user: row.user_id,
    scope: JSON.parse(row.scope) as string[],
    exp: row.exp,
    session: row.session,
    createdOn: row.created_on,
  };
}
