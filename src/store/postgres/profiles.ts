/**
 * The statements and row mappings of the profile side of the PostgreSQL
 * store (profile-types.ts), over the tables of migration 2. Each operation
 * is one statement, so one round trip and one transaction:
 *
 * - createProfile, createAccessToken: INSERT ... ON CONFLICT DO NOTHING; the
 *   unique index decides between concurrent creates (a loser waits for the
 *   winner's commit, then inserts nothing).
 * - updateProfile: one UPDATE; a rename onto a taken username violates the
 *   unique (tenant, username) index (23505), which the store answers with
 *   `exists`; concurrent renames to one name queue on the index entry.
 * - recordLoginFailure: one UPDATE computing the new count and lock from the
 *   row's current values (the rule of profile-rules.ts, in CASE); concurrent
 *   calls queue on the row lock and each re-reads the row the one before it
 *   wrote, so none is lost.
 * - touchLoginTicket, refreshPersistentLogin: one UPDATE ... WHERE
 *   expires_at > now RETURNING: a dead record matches nothing and stays dead.
 * - purges: a bounded batch of ids through the expiry index, FOR UPDATE SKIP
 *   LOCKED, as purge_tickets does.
 * - deleteProfile, deleteTenant, putMetaIfAbsent: PL/pgSQL functions of
 *   migration 2 (several statements in one call).
 */
import type pg from 'pg';
import { patchFields } from '../profile-rules.js';
import type {
  AccessTokenRecord,
  LoginTicketRecord,
  PersistentLoginRecord,
  ProfilePatch,
  ProfileRecord,
  TenantPermission,
} from '../profile-types.js';
import { fromJsonb, toJsonb } from './json.js';

/** The unique index a rename can violate. */
export const USERNAME_INDEX = 'profiles_tenant_username';

export interface ProfileRow {
  id: string;
  tenant: string;
  username: string;
  email: string;
  password_hash: string | null;
  enabled: boolean;
  verified: boolean;
  /** jsonb as text: decoded by fromJsonb. */
  roles: string;
  attributes: string;
  created_on: string;
  last_modified: string;
  failed_login_attempts: number;
  last_failed_login: string | null;
  locked_until: string | null;
}
export interface LoginTicketRow {
  id: Buffer;
  tenant: string;
  profile_id: string;
  last_request_time: string;
  expires_at: string;
}
export interface PersistentLoginRow {
  id: Buffer;
  tenant: string;
  profile_id: string;
  token: Buffer;
  timestamp: string;
  expires_at: string;
}
export interface AccessTokenRow {
  id: Buffer;
  id_prefix: string;
  application: string;
  master: boolean;
  tenant_permissions: string;
  expires_on: string | null;
  created_on: string;
}

const PROFILE = `id, tenant, username, email, password_hash, enabled, verified, roles::text AS roles,
  attributes::text AS attributes, created_on, last_modified, failed_login_attempts, last_failed_login, locked_until`;
const LOGIN_TICKET = 'id, tenant, profile_id, last_request_time, expires_at';
const PERSISTENT_LOGIN = 'id, tenant, profile_id, token, timestamp, expires_at';
const ACCESS_TOKEN =
  'id, id_prefix, application, master, tenant_permissions::text AS tenant_permissions, expires_on, created_on';

/** Up to $2 expired rows of a session table, oldest expiry first, deleted through the primary key. */
const purge = (table: string) =>
  `DELETE FROM ${table} WHERE id = ANY (ARRAY(
     SELECT id FROM ${table} WHERE expires_at <= $1
      ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED))`;

/** The profile statements, named so that each connection parses and plans them once. */
export function profileStatements(s: string) {
  const statement = (name: string, text: string): pg.QueryConfig => ({ name: `ticketd_p_${name}`, text });
  return {
    deleteTenant: statement('delete_tenant', `SELECT ${s}.delete_tenant($1) AS found`),

    // ---- profiles ----------------------------------------------------------
    createProfile: statement(
      'create_profile',
      `INSERT INTO ${s}.profiles (id, tenant, username, email, password_hash, enabled, verified, roles, attributes,
         created_on, last_modified, failed_login_attempts, last_failed_login, locked_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (tenant, username) DO NOTHING`,
    ),
    getProfile: statement('get_profile', `SELECT ${PROFILE} FROM ${s}.profiles WHERE id = $1`),
    getProfileByUsername: statement(
      'get_profile_by_username',
      `SELECT ${PROFILE} FROM ${s}.profiles WHERE tenant = $1 AND username = $2`,
    ),
    listProfiles: statement(
      'list_profiles',
      `SELECT ${PROFILE} FROM ${s}.profiles WHERE tenant = $1 ORDER BY username LIMIT $2 OFFSET $3`,
    ),
    countProfiles: statement('count_profiles', `SELECT count(*) AS n FROM ${s}.profiles WHERE tenant = $1`),
    // Absent fields are NULL parameters and keep their value; the password
    // hash may be set to NULL, so it comes with a flag ($4).
    updateProfile: statement(
      'update_profile',
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
       RETURNING ${PROFILE}`,
    ),
    deleteProfile: statement('delete_profile', `SELECT ${s}.delete_profile($1) AS found`),
    // countFailure (profile-rules.ts) on the row as it is when this UPDATE
    // holds its lock: a lock that ended at or before now ($2) is cleared with
    // its count; reaching lockAfter ($3 > 0) locks until now + lockMs ($4)
    // unless a lock is running, which is never extended. The SET expressions
    // all read the row before this update; RETURNING gives it after.
    recordLoginFailure: statement(
      'record_login_failure',
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
      'reset_login_failures',
      `UPDATE ${s}.profiles SET failed_login_attempts = 0, locked_until = NULL WHERE id = $1`,
    ),

    // ---- login tickets -----------------------------------------------------
    createLoginTicket: statement(
      'create_login_ticket',
      `INSERT INTO ${s}.login_tickets (${LOGIN_TICKET}) VALUES ($1, $2, $3, $4, $5)`,
    ),
    getLoginTicket: statement(
      'get_login_ticket',
      `SELECT ${LOGIN_TICKET} FROM ${s}.login_tickets WHERE id = $1 AND expires_at > $2`,
    ),
    touchLoginTicket: statement(
      'touch_login_ticket',
      `UPDATE ${s}.login_tickets SET last_request_time = $2, expires_at = $3
       WHERE id = $1 AND expires_at > $2
       RETURNING ${LOGIN_TICKET}`,
    ),
    deleteLoginTicket: statement('delete_login_ticket', `DELETE FROM ${s}.login_tickets WHERE id = $1`),
    deleteLoginTicketsOfProfile: statement(
      'delete_login_tickets_of_profile',
      `DELETE FROM ${s}.login_tickets WHERE profile_id = $1`,
    ),
    purgeLoginTickets: statement('purge_login_tickets', purge(`${s}.login_tickets`)),

    // ---- persistent logins -------------------------------------------------
    createPersistentLogin: statement(
      'create_persistent_login',
      `INSERT INTO ${s}.persistent_logins (${PERSISTENT_LOGIN}) VALUES ($1, $2, $3, $4, $5, $6)`,
    ),
    getPersistentLogin: statement(
      'get_persistent_login',
      `SELECT ${PERSISTENT_LOGIN} FROM ${s}.persistent_logins WHERE id = $1 AND expires_at > $2`,
    ),
    refreshPersistentLogin: statement(
      'refresh_persistent_login',
      `UPDATE ${s}.persistent_logins SET token = $2, timestamp = $3, expires_at = $4
       WHERE id = $1 AND expires_at > $3
       RETURNING ${PERSISTENT_LOGIN}`,
    ),
    deletePersistentLogin: statement('delete_persistent_login', `DELETE FROM ${s}.persistent_logins WHERE id = $1`),
    deletePersistentLoginsOfProfile: statement(
      'delete_persistent_logins_of_profile',
      `DELETE FROM ${s}.persistent_logins WHERE profile_id = $1`,
    ),
    purgePersistentLogins: statement('purge_persistent_logins', purge(`${s}.persistent_logins`)),

    // ---- access tokens -----------------------------------------------------
    createAccessToken: statement(
      'create_access_token',
      `INSERT INTO ${s}.access_tokens (id, id_prefix, application, master, tenant_permissions, expires_on, created_on)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO NOTHING`,
    ),
    getAccessToken: statement('get_access_token', `SELECT ${ACCESS_TOKEN} FROM ${s}.access_tokens WHERE id = $1`),
    listAccessTokens: statement(
      'list_access_tokens',
      `SELECT ${ACCESS_TOKEN} FROM ${s}.access_tokens ORDER BY created_on, id`,
    ),
    deleteAccessToken: statement('delete_access_token', `DELETE FROM ${s}.access_tokens WHERE id = $1`),

    // ---- meta --------------------------------------------------------------
    getMeta: statement('get_meta', `SELECT value FROM ${s}.meta WHERE key = $1`),
    putMetaIfAbsent: statement('put_meta_if_absent', `SELECT ${s}.put_meta_if_absent($1, $2) AS value`),
  } satisfies Record<string, pg.QueryConfig>;
}

/** The parameters of createProfile, in column order. */
export function profileParams(p: ProfileRecord): unknown[] {
  return [
    p.id,
    p.tenant,
    p.username,
    p.email,
    p.passwordHash,
    p.enabled,
    p.verified,
    toJsonb(p.roles),
    toJsonb(p.attributes),
    p.createdOn,
    p.lastModified,
    p.failedLoginAttempts,
    p.lastFailedLogin,
    p.lockedUntil,
  ];
}

/** The parameters of updateProfile: NULL for every field the patch leaves alone. */
export function patchParams(id: string, patch: ProfilePatch, now: number): unknown[] {
  const p = patchFields(patch);
  return [
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
}

export function accessTokenParams(t: AccessTokenRecord): unknown[] {
  return [t.id, t.idPrefix, t.application, t.master, toJsonb(t.tenantPermissions), t.expiresOn, t.createdOn];
}

export function toProfile(row: ProfileRow): ProfileRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    username: row.username,
    email: row.email,
    passwordHash: row.password_hash,
    enabled: row.enabled,
    verified: row.verified,
    roles: fromJsonb<string[]>(row.roles),
    attributes: fromJsonb<Record<string, unknown>>(row.attributes),
    createdOn: Number(row.created_on),
    lastModified: Number(row.last_modified),
    failedLoginAttempts: row.failed_login_attempts,
    lastFailedLogin: nullableNumber(row.last_failed_login),
    lockedUntil: nullableNumber(row.locked_until),
  };
}

export function toLoginTicket(row: LoginTicketRow): LoginTicketRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    profileId: row.profile_id,
    lastRequestTime: Number(row.last_request_time),
    expiresAt: Number(row.expires_at),
  };
}

export function toPersistentLogin(row: PersistentLoginRow): PersistentLoginRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    profileId: row.profile_id,
    token: row.token,
    timestamp: Number(row.timestamp),
    expiresAt: Number(row.expires_at),
  };
}

export function toAccessToken(row: AccessTokenRow): AccessTokenRecord {
  return {
    id: row.id,
    idPrefix: row.id_prefix,
    application: row.application,
    master: row.master,
    tenantPermissions: fromJsonb<TenantPermission[]>(row.tenant_permissions),
    expiresOn: nullableNumber(row.expires_on),
    createdOn: Number(row.created_on),
  };
}

/** A bigint column (pg gives int8 as a string) as epoch ms. */
export function nullableNumber(value: string | null): number | null {
  return value === null ? null : Number(value);
}
