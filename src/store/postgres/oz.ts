/**
 * The statements and row mappings of the Oz side of the PostgreSQL store
 * (oz-types.ts), over the tables of migration 3. Each operation is one
 * statement, so one round trip and one transaction:
 *
 * - createApp: INSERT ... ON CONFLICT (id) DO NOTHING; the primary key
 *   decides between concurrent creates of one id, in any tenant (a loser
 *   waits for the winner's commit, then inserts nothing).
 * - setAppKey: one UPDATE ... RETURNING.
 * - deleteApp: one statement deleting the app's grants (through
 *   oz_grants_app), then the app row: both or neither. A grant created
 *   concurrently for the app may commit after this statement's snapshot and
 *   outlive the app until it expires; it is then a grant of an unknown app,
 *   which the core refuses (oz-types.ts: grants are checked when used).
 * - listGrants: one of four statements (by app, by user, by both, none), each
 *   walking an index in (created_on DESC, id DESC) order and stopping after
 *   `limit` live rows.
 * - useNonce: INSERT ... ON CONFLICT (credential_id, nonce) DO UPDATE ...
 *   WHERE the stored record expired, RETURNING 1. Of concurrent calls with
 *   one pair, one inserts (or updates an expired row); every other one waits
 *   on the index entry or the row lock, then checks the WHERE against the
 *   row as the winner left it (expires_at > now) and returns no row.
 * - purges: a bounded batch through the expiry index, FOR UPDATE SKIP
 *   LOCKED, as purge_tickets does; nonces (whose key is two columns) are
 *   deleted by ctid, which their row lock keeps stable until the DELETE.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { OzAppRecord, OzGrantRecord } from '../oz-types.js';
import { fromJsonb, toJsonb } from './json.js';

export interface OzAppRow {
  id: string;
  tenant: string;
  key: string;
  algorithm: string;
  /** jsonb as text: decoded by fromJsonb. */
  scope: string;
  delegate: boolean;
  ext_attributes: string;
  created_on: string;
}

export interface OzGrantRow {
  id: string;
  tenant: string;
  app: string;
  user_id: string;
  scope: string;
  exp: string;
  session: Buffer | null;
  created_on: string;
}

const APP =
  'id, tenant, key, algorithm, scope::text AS scope, delegate, ext_attributes::text AS ext_attributes, created_on';
const GRANT = 'id, tenant, app, user_id, scope::text AS scope, exp, session, created_on';

/** The Oz statements, named so that each connection parses and plans them once. */
export function ozStatements(s: string) {
  const statement = (name: string, text: string): pg.QueryConfig => ({ name: `ticketd_oz_${name}`, text });
  /** Live grants matching `where` (whose last parameters are now and limit), newest first. */
  const listGrants = (name: string, where: string, now: string, limit: string) =>
    statement(
      name,
      `SELECT ${GRANT} FROM ${s}.oz_grants WHERE ${where}exp > ${now}
       ORDER BY created_on DESC, id DESC LIMIT ${limit}`,
    );
  return {
    // ---- apps --------------------------------------------------------------
    createApp: statement(
      'create_app',
      `INSERT INTO ${s}.oz_apps (id, tenant, key, algorithm, scope, delegate, ext_attributes, created_on)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO NOTHING`,
    ),
    getApp: statement('get_app', `SELECT ${APP} FROM ${s}.oz_apps WHERE id = $1`),
    listApps: statement('list_apps', `SELECT ${APP} FROM ${s}.oz_apps ORDER BY id`),
    listAppsOfTenant: statement('list_apps_of_tenant', `SELECT ${APP} FROM ${s}.oz_apps WHERE tenant = $1 ORDER BY id`),
    setAppKey: statement('set_app_key', `UPDATE ${s}.oz_apps SET key = $2 WHERE id = $1 RETURNING ${APP}`),
    // The app's row goes after its grants (the count over \`gone\` makes the
    // second DELETE wait for the first), the order delete_tenant takes too.
    deleteApp: statement(
      'delete_app',
      `WITH gone AS (DELETE FROM ${s}.oz_grants WHERE app = $1 RETURNING 1),
       app AS (DELETE FROM ${s}.oz_apps WHERE id = $1 AND (SELECT count(*) FROM gone) >= 0 RETURNING 1)
       SELECT count(*)::int AS n FROM app`,
    ),

    // ---- grants ------------------------------------------------------------
    createGrant: statement(
      'create_grant',
      `INSERT INTO ${s}.oz_grants (id, tenant, app, user_id, scope, exp, session, created_on)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    ),
    getGrant: statement('get_grant', `SELECT ${GRANT} FROM ${s}.oz_grants WHERE id = $1 AND exp > $2`),
    listGrantsOfApp: listGrants('list_grants_of_app', 'app = $1 AND ', '$2', '$3'),
    listGrantsOfUser: listGrants('list_grants_of_user', 'user_id = $1 AND ', '$2', '$3'),
    listGrantsOfAppAndUser: listGrants('list_grants_of_app_user', 'user_id = $2 AND app = $1 AND ', '$3', '$4'),
    listAllGrants: listGrants('list_all_grants', '', '$1', '$2'),
    deleteGrant: statement('delete_grant', `DELETE FROM ${s}.oz_grants WHERE id = $1`),
    deleteGrantsOfUser: statement('delete_grants_of_user', `DELETE FROM ${s}.oz_grants WHERE user_id = $1`),
    purgeGrants: statement(
      'purge_grants',
      `DELETE FROM ${s}.oz_grants WHERE id = ANY (ARRAY(
         SELECT id FROM ${s}.oz_grants WHERE exp <= $1
          ORDER BY exp LIMIT $2 FOR UPDATE SKIP LOCKED))`,
    ),

    // ---- Hawk nonces -------------------------------------------------------
    // $1 credential digest, $2 nonce digest, $3 now, $4 expiresAt.
    useNonce: statement(
      'use_nonce',
      `INSERT INTO ${s}.oz_nonces AS n (credential_id, nonce, expires_at) VALUES ($1, $2, $4)
       ON CONFLICT (credential_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
       WHERE n.expires_at <= $3
       RETURNING 1 AS accepted`,
    ),
    purgeNonces: statement(
      'purge_nonces',
      `DELETE FROM ${s}.oz_nonces WHERE ctid = ANY (ARRAY(
         SELECT ctid FROM ${s}.oz_nonces WHERE expires_at <= $1
          ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED))`,
    ),
  } satisfies Record<string, pg.QueryConfig>;
}

/** The parameters of createApp, in column order. */
export function appParams(a: OzAppRecord): unknown[] {
  return [a.id, a.tenant, a.key, a.algorithm, toJsonb(a.scope), a.delegate, toJsonb(a.extAttributes), a.createdOn];
}

/** The parameters of createGrant, in column order. */
export function grantParams(g: OzGrantRecord): unknown[] {
  return [g.id, g.tenant, g.app, g.user, toJsonb(g.scope), g.exp, g.session, g.createdOn];
}

export function toApp(row: OzAppRow): OzAppRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    key: row.key,
    algorithm: row.algorithm as OzAppRecord['algorithm'],
    scope: fromJsonb<string[]>(row.scope),
    delegate: row.delegate,
    extAttributes: fromJsonb<string[]>(row.ext_attributes),
    createdOn: Number(row.created_on),
  };
}

export function toGrant(row: OzGrantRow): OzGrantRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    app: row.app,
    user: row.user_id,
    scope: fromJsonb<string[]>(row.scope),
    exp: Number(row.exp),
    session: row.session,
    createdOn: Number(row.created_on),
  };
}

/** How a credentials id or a nonce is kept: its SHA-256 (UTF-8), 32 bytes whatever its length or characters. */
export function nonceDigest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
