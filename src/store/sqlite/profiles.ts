import type Database from 'better-sqlite3';
import { countFailure, patchFields } from '../profile-rules.js';
import type {
  AccessTokenRecord,
  LoginFailure,
  LoginTicketRecord,
  PersistentLoginRecord,
  ProfilePatch,
  ProfileRecord,
  TenantPermission,
} from '../profile-types.js';

interface ProfileRow {
  id: string;
  tenant: string;
  username: string;
  email: string;
  password_hash: string | null;
  enabled: number;
  verified: number;
  roles: string;
  attributes: string;
  created_on: number;
  last_modified: number;
  failed_login_attempts: number;
  last_failed_login: number | null;
  locked_until: number | null;
}
interface LoginTicketRow {
  id: Buffer;
  tenant: string;
  profile_id: string;
  last_request_time: number;
  expires_at: number;
}
interface PersistentLoginRow {
  id: Buffer;
  tenant: string;
  profile_id: string;
  token: Buffer;
  timestamp: number;
  expires_at: number;
}
interface AccessTokenRow {
  id: Buffer;
  id_prefix: string;
  application: string;
  master: number;
  tenant_permissions: string;
  expires_on: number | null;
  created_on: number;
}

const PROFILE = `id, tenant, username, email, password_hash, enabled, verified, roles, attributes,
  created_on, last_modified, failed_login_attempts, last_failed_login, locked_until`;
const PROFILE_VALUES = `@id, @tenant, @username, @email, @password_hash, @enabled, @verified, @roles, @attributes,
  @created_on, @last_modified, @failed_login_attempts, @last_failed_login, @locked_until`;
const LOGIN_TICKET = 'id, tenant, profile_id, last_request_time, expires_at';
const PERSISTENT_LOGIN = 'id, tenant, profile_id, token, timestamp, expires_at';
const ACCESS_TOKEN = 'id, id_prefix, application, master, tenant_permissions, expires_on, created_on';

/**
 * The profile side of the SQLite store (profile-types.ts), over the tables of
 * migration 2. Every method is synchronous and is one statement (atomic by
 * itself) or one IMMEDIATE transaction, which takes the file's write lock
 * before it reads: within a process better-sqlite3 never interleaves calls,
 * and across processes SQLite serialises the writers, so read-modify-write
 * steps (updateProfile, recordLoginFailure) never lose an update. Prepared
 * once, after the tables exist; the caller (SqliteStore) maps errors.
 */
export class SqliteProfiles {
  private readonly s;
  private readonly txn;

  constructor(private readonly db: Database.Database) {
    this.s = this.prepare();
    this.txn = this.transactions();
  }

  // ---- tenants -------------------------------------------------------------

  deleteTenant(name: string): boolean {
    return this.txn.deleteTenant.immediate(name);
  }

  // ---- profiles ------------------------------------------------------------

  createProfile(p: ProfileRecord): 'created' | 'exists' {
    // One statement: the unique (tenant, username) index decides between concurrent creates.
    return this.s.insertProfile.run(toProfileRow(p)).changes === 1 ? 'created' : 'exists';
  }

  getProfile(id: string): ProfileRecord | null {
    const row = this.s.getProfile.get(id) as ProfileRow | undefined;
    return row ? toProfile(row) : null;
  }

  getProfileByUsername(tenant: string, username: string): ProfileRecord | null {
    const row = this.s.getProfileByUsername.get(tenant, username) as ProfileRow | undefined;
    return row ? toProfile(row) : null;
  }

  listProfiles(tenant: string, offset: number, limit: number): ProfileRecord[] {
    return (this.s.listProfiles.all(tenant, limit, offset) as ProfileRow[]).map(toProfile);
  }

  countProfiles(tenant: string): number {
    return (this.s.countProfiles.get(tenant) as { n: number }).n;
  }

  updateProfile(id: string, patch: ProfilePatch, now: number): ProfileRecord | 'exists' | null {
    return this.txn.updateProfile.immediate(id, patch, now);
  }

  deleteProfile(id: string): boolean {
    return this.txn.deleteProfile.immediate(id);
  }

  recordLoginFailure(id: string, now: number, lockAfter: number, lockMs: number): LoginFailure | null {
    return this.txn.recordLoginFailure.immediate(id, now, lockAfter, lockMs);
  }

  resetLoginFailures(id: string): void {
    this.s.resetFailures.run(id);
  }

  // ---- login tickets -------------------------------------------------------

  createLoginTicket(t: LoginTicketRecord): void {
    this.s.insertLoginTicket.run(t.id, t.tenant, t.profileId, t.lastRequestTime, t.expiresAt);
  }

  getLoginTicket(id: Buffer, now: number): LoginTicketRecord | null {
    const row = this.s.getLoginTicket.get(id, now) as LoginTicketRow | undefined;
    return row ? toLoginTicket(row) : null;
  }

  touchLoginTicket(id: Buffer, now: number, maxAgeMs: number): LoginTicketRecord | null {
    // One conditional UPDATE: a ticket dead at `now` matches nothing and stays dead.
    const row = this.s.touchLoginTicket.get({ id, now, expiresAt: now + maxAgeMs }) as LoginTicketRow | undefined;
    return row ? toLoginTicket(row) : null;
  }

  deleteLoginTicket(id: Buffer): boolean {
    return this.s.deleteLoginTicket.run(id).changes > 0;
  }

  deleteLoginTicketsOfProfile(profileId: string): number {
    return this.s.deleteLoginTicketsOfProfile.run(profileId).changes;
  }

  purgeLoginTickets(now: number, limit: number): number {
    return this.s.purgeLoginTickets.run(now, limit).changes;
  }

  // ---- persistent logins ---------------------------------------------------

  createPersistentLogin(l: PersistentLoginRecord): void {
    this.s.insertPersistentLogin.run(l.id, l.tenant, l.profileId, l.token, l.timestamp, l.expiresAt);
  }

  getPersistentLogin(id: Buffer, now: number): PersistentLoginRecord | null {
    const row = this.s.getPersistentLogin.get(id, now) as PersistentLoginRow | undefined;
    return row ? toPersistentLogin(row) : null;
  }

  refreshPersistentLogin(id: Buffer, token: Buffer, now: number, expiresAt: number): PersistentLoginRecord | null {
    const row = this.s.refreshPersistentLogin.get({ id, token, now, expiresAt }) as PersistentLoginRow | undefined;
    return row ? toPersistentLogin(row) : null;
  }

  deletePersistentLogin(id: Buffer): boolean {
    return this.s.deletePersistentLogin.run(id).changes > 0;
  }

  deletePersistentLoginsOfProfile(profileId: string): number {
    return this.s.deletePersistentLoginsOfProfile.run(profileId).changes;
  }

  purgePersistentLogins(now: number, limit: number): number {
    return this.s.purgePersistentLogins.run(now, limit).changes;
  }

  // ---- access tokens -------------------------------------------------------

  createAccessToken(t: AccessTokenRecord): 'created' | 'exists' {
    const changes = this.s.insertAccessToken.run(
      t.id,
      t.idPrefix,
      t.application,
      t.master ? 1 : 0,
      JSON.stringify(t.tenantPermissions),
      t.expiresOn,
      t.createdOn,
    ).changes;
    return changes === 1 ? 'created' : 'exists';
  }

  getAccessToken(id: Buffer): AccessTokenRecord | null {
    const row = this.s.getAccessToken.get(id) as AccessTokenRow | undefined;
    return row ? toAccessToken(row) : null;
  }

  listAccessTokens(): AccessTokenRecord[] {
    return (this.s.listAccessTokens.all() as AccessTokenRow[]).map(toAccessToken);
  }

  deleteAccessToken(id: Buffer): boolean {
    return this.s.deleteAccessToken.run(id).changes > 0;
  }

  // ---- meta ----------------------------------------------------------------

  getMeta(key: string): string | null {
    return (this.s.getMeta.get(key) as { value: string } | undefined)?.value ?? null;
  }

  putMetaIfAbsent(key: string, value: string): string {
    return this.txn.putMetaIfAbsent.immediate(key, value);
  }

  private prepare() {
    const db = this.db;
    return {
      // Profiles
      insertProfile: db.prepare(
        `INSERT INTO profiles (${PROFILE}) VALUES (${PROFILE_VALUES}) ON CONFLICT (tenant, username) DO NOTHING`,
      ),
      getProfile: db.prepare(`SELECT ${PROFILE} FROM profiles WHERE id = ?`),
      getProfileByUsername: db.prepare(`SELECT ${PROFILE} FROM profiles WHERE tenant = ? AND username = ?`),
      usernameOwner: db.prepare('SELECT id FROM profiles WHERE tenant = ? AND username = ?'),
      listProfiles: db.prepare(`SELECT ${PROFILE} FROM profiles WHERE tenant = ? ORDER BY username LIMIT ? OFFSET ?`),
      countProfiles: db.prepare('SELECT COUNT(*) AS n FROM profiles WHERE tenant = ?'),
      updateProfile: db.prepare(
        `UPDATE profiles SET username = @username, email = @email, password_hash = @password_hash,
           enabled = @enabled, verified = @verified, roles = @roles, attributes = @attributes,
           last_modified = @last_modified
         WHERE id = @id`,
      ),
      setFailures: db.prepare(
        `UPDATE profiles SET failed_login_attempts = @failed_login_attempts,
           last_failed_login = @last_failed_login, locked_until = @locked_until
         WHERE id = @id`,
      ),
      resetFailures: db.prepare('UPDATE profiles SET failed_login_attempts = 0, locked_until = NULL WHERE id = ?'),
      deleteProfile: db.prepare('DELETE FROM profiles WHERE id = ?'),
      deleteProfilesOfTenant: db.prepare('DELETE FROM profiles WHERE tenant = ?'),

      // Login tickets
      insertLoginTicket: db.prepare(`INSERT INTO login_tickets (${LOGIN_TICKET}) VALUES (?, ?, ?, ?, ?)`),
      getLoginTicket: db.prepare(`SELECT ${LOGIN_TICKET} FROM login_tickets WHERE id = ? AND expires_at > ?`),
      touchLoginTicket: db.prepare(
        `UPDATE login_tickets SET last_request_time = @now, expires_at = @expiresAt
         WHERE id = @id AND expires_at > @now RETURNING ${LOGIN_TICKET}`,
      ),
      deleteLoginTicket: db.prepare('DELETE FROM login_tickets WHERE id = ?'),
      deleteLoginTicketsOfProfile: db.prepare('DELETE FROM login_tickets WHERE profile_id = ?'),
      deleteLoginTicketsOfTenant: db.prepare('DELETE FROM login_tickets WHERE tenant = ?'),
      purgeLoginTickets: db.prepare(
        `DELETE FROM login_tickets WHERE rowid IN (
           SELECT rowid FROM login_tickets WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`,
      ),

      // Persistent logins
      insertPersistentLogin: db.prepare(
        `INSERT INTO persistent_logins (${PERSISTENT_LOGIN}) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      getPersistentLogin: db.prepare(
        `SELECT ${PERSISTENT_LOGIN} FROM persistent_logins WHERE id = ? AND expires_at > ?`,
      ),
      refreshPersistentLogin: db.prepare(
        `UPDATE persistent_logins SET token = @token, timestamp = @now, expires_at = @expiresAt
         WHERE id = @id AND expires_at > @now RETURNING ${PERSISTENT_LOGIN}`,
      ),
      deletePersistentLogin: db.prepare('DELETE FROM persistent_logins WHERE id = ?'),
      deletePersistentLoginsOfProfile: db.prepare('DELETE FROM persistent_logins WHERE profile_id = ?'),
      deletePersistentLoginsOfTenant: db.prepare('DELETE FROM persistent_logins WHERE tenant = ?'),
      purgePersistentLogins: db.prepare(
        `DELETE FROM persistent_logins WHERE rowid IN (
           SELECT rowid FROM persistent_logins WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`,
      ),

      // Access tokens
      insertAccessToken: db.prepare(
        `INSERT INTO access_tokens (${ACCESS_TOKEN}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      ),
      getAccessToken: db.prepare(`SELECT ${ACCESS_TOKEN} FROM access_tokens WHERE id = ?`),
      listAccessTokens: db.prepare(`SELECT ${ACCESS_TOKEN} FROM access_tokens ORDER BY created_on, id`),
      deleteAccessToken: db.prepare('DELETE FROM access_tokens WHERE id = ?'),

      // Tenants, and their opaque tickets
      deleteTicketsOfTenant: db.prepare('DELETE FROM tickets WHERE tenant = ?'),
      deleteTenant: db.prepare('DELETE FROM tenants WHERE name = ?'),

      // Meta
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
      insertMetaIfAbsent: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
    };
  }

  private transactions() {
    const s = this.s;
    const db = this.db;
    return {
      deleteTenant: db.transaction((name: string): boolean => {
        // Every statement goes through the tenant's index; the tenant row (with its
        // live_tickets counter) goes last, in the same transaction.
        s.deleteTicketsOfTenant.run(name);
        s.deleteLoginTicketsOfTenant.run(name);
        s.deletePersistentLoginsOfTenant.run(name);
        s.deleteProfilesOfTenant.run(name);
        return s.deleteTenant.run(name).changes > 0;
      }),

      updateProfile: db.transaction((id: string, patch: ProfilePatch, now: number): ProfileRecord | 'exists' | null => {
        const row = s.getProfile.get(id) as ProfileRow | undefined;
        if (!row) return null;
        const current = toProfile(row);
        const next: ProfileRecord = { ...current, ...patchFields(patch), lastModified: now };
        if (next.username !== current.username) {
          const owner = s.usernameOwner.get(current.tenant, next.username) as { id: string } | undefined;
          if (owner) return 'exists';
        }
        s.updateProfile.run(toProfileRow(next));
        // Read back: the caller gets the record as stored, sharing nothing with its patch.
        return toProfile(s.getProfile.get(id) as ProfileRow);
      }),

      deleteProfile: db.transaction((id: string): boolean => {
        s.deleteLoginTicketsOfProfile.run(id);
        s.deletePersistentLoginsOfProfile.run(id);
        return s.deleteProfile.run(id).changes > 0;
      }),

      recordLoginFailure: db.transaction(
        (id: string, now: number, lockAfter: number, lockMs: number): LoginFailure | null => {
          const row = s.getProfile.get(id) as ProfileRow | undefined;
          if (!row) return null;
          const counted = countFailure(toProfile(row), now, lockAfter, lockMs);
          s.setFailures.run({
            id,
            failed_login_attempts: counted.failedLoginAttempts,
            last_failed_login: counted.lastFailedLogin,
            locked_until: counted.lockedUntil,
          });
          return { failedLoginAttempts: counted.failedLoginAttempts, lockedUntil: counted.lockedUntil };
        },
      ),

      putMetaIfAbsent: db.transaction((key: string, value: string): string => {
        s.insertMetaIfAbsent.run(key, value);
        return (s.getMeta.get(key) as { value: string }).value;
      }),
    };
  }
}

function toProfileRow(p: ProfileRecord): ProfileRow {
  return {
    id: p.id,
    tenant: p.tenant,
    username: p.username,
    email: p.email,
    password_hash: p.passwordHash,
    enabled: p.enabled ? 1 : 0,
    verified: p.verified ? 1 : 0,
    roles: JSON.stringify(p.roles),
    attributes: JSON.stringify(p.attributes),
    created_on: p.createdOn,
    last_modified: p.lastModified,
    failed_login_attempts: p.failedLoginAttempts,
    last_failed_login: p.lastFailedLogin,
    locked_until: p.lockedUntil,
  };
}

function toProfile(row: ProfileRow): ProfileRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    username: row.username,
    email: row.email,
    passwordHash: row.password_hash,
    enabled: row.enabled === 1,
    verified: row.verified === 1,
    roles: JSON.parse(row.roles) as string[],
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    createdOn: row.created_on,
    lastModified: row.last_modified,
    failedLoginAttempts: row.failed_login_attempts,
    lastFailedLogin: row.last_failed_login,
    lockedUntil: row.locked_until,
  };
}

function toLoginTicket(row: LoginTicketRow): LoginTicketRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    profileId: row.profile_id,
    lastRequestTime: row.last_request_time,
    expiresAt: row.expires_at,
  };
}

function toPersistentLogin(row: PersistentLoginRow): PersistentLoginRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    profileId: row.profile_id,
    token: row.token,
    timestamp: row.timestamp,
    expiresAt: row.expires_at,
  };
}

function toAccessToken(row: AccessTokenRow): AccessTokenRecord {
  return {
    id: row.id,
    idPrefix: row.id_prefix,
    application: row.application,
    master: row.master === 1,
    tenantPermissions: JSON.parse(row.tenant_permissions) as TenantPermission[],
    expiresOn: row.expires_on,
    createdOn: row.created_on,
  };
}
