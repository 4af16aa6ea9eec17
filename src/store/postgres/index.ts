/**
 * The PostgreSQL store: several ticketd instances on one durable database.
 *
 * Store URL: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAMS]`
 * (`postgresql://` too). ticketd's own parameters, removed before the URL
 * reaches pg:
 * - `schema=NAME` — the schema holding ticketd's tables and functions
 *   (default `public`; created by `migrate()` when missing). Several
 *   deployments, or tests, isolate themselves in one database this way.
 * - `pool_max=N` — connections in the pool (default 10).
 * Every other parameter (`sslmode`, `application_name`, ...) goes to pg.
 *
 * How the ticket operations stay atomic across connections and processes
 * (details in migrations.ts): create, use and purge are PL/pgSQL functions
 * called in one statement, delete and peek are single statements; each is
 * one round trip and one transaction. Use locks the ticket row; a create
 * under a limit updates the tenant's row with a conditional UPDATE (the O(1)
 * limit check); other count changes go to one of the tenant's counter slots;
 * purge deletes through the expiry index with FOR UPDATE SKIP LOCKED.
 *
 * The profile side (ProfileStore, migration 2) works the same way: one
 * statement per operation, or a PL/pgSQL function where an operation takes
 * several (deleteTenant, deleteProfile, putMetaIfAbsent); profiles.ts tells
 * how each guarantee is met. So does the Oz side (OzStore, migration 3: apps,
 * grants, Hawk nonces), every operation one statement; see oz.ts.
 *
 * Connection failures reject with StoreUnavailableError; the pool drops
 * broken connections and opens new ones when the server is back.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { TenantSettings } from '../../core/tenant-settings.js';
import type { OzAppRecord, OzGrantRecord } from '../oz-types.js';
import type {
  AccessTokenRecord,
  LoginFailure,
  LoginTicketRecord,
  PersistentLoginRecord,
  ProfilePatch,
  ProfileRecord,
} from '../profile-types.js';
import type {
  CreateTicketResult,
  PurgedTickets,
  Store,
  TenantRecord,
  TicketInfo,
  TicketRecord,
  UsedTicket,
} from '../types.js';
import { parsePostgresUrl } from './config.js';
import { RETRYABLE_SQLSTATES, toStoreError } from './errors.js';
import { migrations, SLOTS, slotOf } from './migrations.js';
import {
  appParams,
  grantParams,
  nonceDigest,
  type OzAppRow,
  type OzGrantRow,
  ozStatements,
  toApp,
  toGrant,
} from './oz.js';
import {
  type AccessTokenRow,
  accessTokenParams,
  type LoginTicketRow,
  nullableNumber,
  type PersistentLoginRow,
  type ProfileRow,
  patchParams,
  profileParams,
  profileStatements,
  toAccessToken,
  toLoginTicket,
  toPersistentLogin,
  toProfile,
  USERNAME_INDEX,
} from './profiles.js';

/** Attempts of one operation that the server rolled back as a deadlock or serialization failure. */
const ATTEMPTS = 3;

/**
 * How long one store call waits for the server's answer before it fails with
 * StoreUnavailableError (a server that stopped answering without closing the
 * connection); the connection is then dropped. Not applied to migrate().
 */
const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

export interface PostgresStoreOptions {
  /** Told about errors of idle connections (the server went away); the pool has already dropped them. */
  onError?: (err: Error) => void;
  queryTimeoutMs?: number;
}

interface TenantRow {
  name: string;
  settings: TenantSettings;
  created_at: string;
}

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private readonly schema: string;
  /** The schema as an SQL identifier. */
  private readonly s: string;
  private readonly sql: ReturnType<typeof statements>;
  private readonly psql: ReturnType<typeof profileStatements>;
  private readonly ozsql: ReturnType<typeof ozStatements>;
  private readonly queryTimeoutMs: number;
  private closed: Promise<void> | undefined;

  constructor(url: string, options: PostgresStoreOptions = {}) {
    const config = parsePostgresUrl(url);
    this.schema = config.schema;
    this.s = quoteIdent(config.schema);
    this.sql = statements(this.s);
    this.psql = profileStatements(this.s);
    this.ozsql = ozStatements(this.s);
    this.queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    this.pool = new pg.Pool(config.pool);
    // Without a listener an idle connection's error would be thrown and end the process.
    this.pool.on('error', options.onError ?? (() => {}));
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect().catch((err: unknown) => {
      throw toStoreError(err);
    });
    // A checked-out client has no error listener of the pool's.
    const onClientError = () => {};
    client.on('error', onClientError);
    let failed: unknown;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [lockKey(`ticketd:migrate:${this.schema}`)]);
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
      // CREATE SCHEMA IF NOT EXISTS would need CREATE on the database even when the schema exists.
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${this.s}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.s}.schema_migrations (
           version integer PRIMARY KEY,
           applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const done = await client.query<{ version: number }>(`SELECT version FROM ${this.s}.schema_migrations`);
      const applied = new Set(done.rows.map((r) => r.version));
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        await client.query(m.sql(this.s));
        await client.query(`INSERT INTO ${this.s}.schema_migrations (version) VALUES ($1)`, [m.version]);
      }
      await client.query('COMMIT');
    } catch (err) {
      failed = err;
      await client.query('ROLLBACK').catch(() => {});
      throw toStoreError(err);
    } finally {
      client.removeListener('error', onClientError);
      client.release(failed instanceof Error ? failed : undefined);
    }
  }

  async schemaVersion(): Promise<number> {
    const table = await this.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
      `${this.s}.schema_migrations`,
    ]);
    if (!table.rows[0]?.t) return 0;
    const row = await this.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${this.s}.schema_migrations`);
    return row.rows[0]?.v ?? 0;
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    this.closed ??= this.pool.end();
    await this.closed;
  }

  // ---- tenants -------------------------------------------------------------

  async getTenant(name: string): Promise<TenantRecord | null> {
    const res = await this.query<TenantRow>(this.sql.getTenant, [name]);
    const row = res.rows[0];
    return row ? toTenant(row) : null;
  }

  async putTenant(t: TenantRecord): Promise<void> {
    await this.query(this.sql.putTenant, [t.name, JSON.stringify(t.settings), t.createdAt]);
  }

  async createTenant(t: TenantRecord): Promise<'created' | 'exists'> {
    const res = await this.query(this.sql.createTenant, [t.name, JSON.stringify(t.settings), t.createdAt]);
    return res.rowCount === 1 ? 'created' : 'exists';
  }

  async listTenants(): Promise<TenantRecord[]> {
    const res = await this.query<TenantRow>(this.sql.listTenants);
    return res.rows.map(toTenant);
  }

  // ---- opaque tickets ------------------------------------------------------

  async createTicket(t: TicketRecord, max: number, now: number): Promise<CreateTicketResult> {
    const res = await this.query<{ result: CreateTicketResult }>(this.sql.create, [
      t.tenant,
      t.id,
      t.usesLeft,
      t.expiresAt,
      t.createdAt,
      t.payload,
      max,
      now,
    ]);
    const result = res.rows[0]?.result;
    if (result !== 'created' && result !== 'limit') throw new Error(`postgres: create_ticket returned ${result}`);
    return result;
  }

  async useTicket(tenant: string, id: Buffer, now: number): Promise<UsedTicket | null> {
    const res = await this.query<{ left_uses: number | null; sealed: Buffer | null }>(this.sql.use, [tenant, id, now]);
    const row = res.rows[0];
    return row ? { usesLeft: row.left_uses, payload: row.sealed } : null;
  }

  async deleteTicket(tenant: string, id: Buffer, now: number): Promise<{ usesLeft: number | null } | null> {
    const res = await this.query<{ uses_left: number | null }>(this.sql.delete, [tenant, id, now]);
    const row = res.rows[0];
    return row ? { usesLeft: row.uses_left } : null;
  }

  async peekTicket(tenant: string, id: Buffer, now: number): Promise<TicketInfo | null> {
    const res = await this.query<{ uses_left: number | null; expires_at: string | null; created_at: string }>(
      this.sql.peek,
      [tenant, id, now],
    );
    const row = res.rows[0];
    if (!row) return null;
    return {
      usesLeft: row.uses_left,
      expiresAt: row.expires_at === null ? null : Number(row.expires_at),
      createdAt: Number(row.created_at),
    };
  }

  async countTickets(tenant: string): Promise<number> {
    const res = await this.query<{ n: string }>(this.sql.count, [tenant]);
    return Number(res.rows[0]?.n ?? 0);
  }

  async purgeTickets(now: number, limit: number): Promise<PurgedTickets> {
    const res = await this.query<{ tenant: string; n: string }>(this.sql.purge, [now, limit]);
    const byTenant: Record<string, number> = {};
    let removed = 0;
    for (const row of res.rows) {
      byTenant[row.tenant] = Number(row.n);
      removed += Number(row.n);
    }
    return { removed, byTenant };
  }

  // ---- profile surface (ProfileStore) ----------------------------------------

  async deleteTenant(name: string): Promise<boolean> {
    const res = await this.query<{ found: boolean }>(this.psql.deleteTenant, [name]);
    return res.rows[0]?.found === true;
  }

  async createProfile(profile: ProfileRecord): Promise<'created' | 'exists'> {
    const res = await this.query(this.psql.createProfile, profileParams(profile));
    return res.rowCount === 1 ? 'created' : 'exists';
  }

  async getProfile(id: string): Promise<ProfileRecord | null> {
    const res = await this.query<ProfileRow>(this.psql.getProfile, [id]);
    const row = res.rows[0];
    return row ? toProfile(row) : null;
  }

  async getProfileByUsername(tenant: string, username: string): Promise<ProfileRecord | null> {
    const res = await this.query<ProfileRow>(this.psql.getProfileByUsername, [tenant, username]);
    const row = res.rows[0];
    return row ? toProfile(row) : null;
  }

  async listProfiles(tenant: string, offset: number, limit: number): Promise<ProfileRecord[]> {
    const res = await this.query<ProfileRow>(this.psql.listProfiles, [tenant, limit, offset]);
    return res.rows.map(toProfile);
  }

  async countProfiles(tenant: string): Promise<number> {
    const res = await this.query<{ n: string }>(this.psql.countProfiles, [tenant]);
    return Number(res.rows[0]?.n ?? 0);
  }

  async updateProfile(id: string, patch: ProfilePatch, now: number): Promise<ProfileRecord | 'exists' | null> {
    try {
      const res = await this.query<ProfileRow>(this.psql.updateProfile, patchParams(id, patch, now));
      const row = res.rows[0];
      return row ? toProfile(row) : null;
    } catch (err) {
      // The new username is taken in the tenant: the statement changed nothing.
      const { code, constraint } = err as { code?: unknown; constraint?: unknown };
      if (code === '23505' && constraint === USERNAME_INDEX) return 'exists';
      throw err;
    }
  }

  async deleteProfile(id: string): Promise<boolean> {
    const res = await this.query<{ found: boolean }>(this.psql.deleteProfile, [id]);
    return res.rows[0]?.found === true;
  }

  async recordLoginFailure(id: string, now: number, lockAfter: number, lockMs: number): Promise<LoginFailure | null> {
    const res = await this.query<{ failed_login_attempts: number; locked_until: string | null }>(
      this.psql.recordLoginFailure,
      [id, now, lockAfter, lockMs],
    );
    const row = res.rows[0];
    return row
      ? { failedLoginAttempts: row.failed_login_attempts, lockedUntil: nullableNumber(row.locked_until) }
      : null;
  }

  async resetLoginFailures(id: string): Promise<void> {
    await this.query(this.psql.resetLoginFailures, [id]);
  }

  async createLoginTicket(t: LoginTicketRecord): Promise<void> {
    await this.query(this.psql.createLoginTicket, [t.id, t.tenant, t.profileId, t.lastRequestTime, t.expiresAt]);
  }

  async getLoginTicket(id: Buffer, now: number): Promise<LoginTicketRecord | null> {
    const res = await this.query<LoginTicketRow>(this.psql.getLoginTicket, [id, now]);
    const row = res.rows[0];
    return row ? toLoginTicket(row) : null;
  }

  async touchLoginTicket(id: Buffer, now: number, maxAgeMs: number): Promise<LoginTicketRecord | null> {
    const res = await this.query<LoginTicketRow>(this.psql.touchLoginTicket, [id, now, now + maxAgeMs]);
    const row = res.rows[0];
    return row ? toLoginTicket(row) : null;
  }

  async deleteLoginTicket(id: Buffer): Promise<boolean> {
    return ((await this.query(this.psql.deleteLoginTicket, [id])).rowCount ?? 0) > 0;
  }

  async deleteLoginTicketsOfProfile(profileId: string): Promise<number> {
    return (await this.query(this.psql.deleteLoginTicketsOfProfile, [profileId])).rowCount ?? 0;
  }

  async purgeLoginTickets(now: number, limit: number): Promise<number> {
    return (await this.query(this.psql.purgeLoginTickets, [now, limit])).rowCount ?? 0;
  }

  async createPersistentLogin(l: PersistentLoginRecord): Promise<void> {
    await this.query(this.psql.createPersistentLogin, [l.id, l.tenant, l.profileId, l.token, l.timestamp, l.expiresAt]);
  }

  async getPersistentLogin(id: Buffer, now: number): Promise<PersistentLoginRecord | null> {
    const res = await this.query<PersistentLoginRow>(this.psql.getPersistentLogin, [id, now]);
    const row = res.rows[0];
    return row ? toPersistentLogin(row) : null;
  }

  async refreshPersistentLogin(
    id: Buffer,
    token: Buffer,
    now: number,
    expiresAt: number,
  ): Promise<PersistentLoginRecord | null> {
    const res = await this.query<PersistentLoginRow>(this.psql.refreshPersistentLogin, [id, token, now, expiresAt]);
    const row = res.rows[0];
    return row ? toPersistentLogin(row) : null;
  }

  async deletePersistentLogin(id: Buffer): Promise<boolean> {
    return ((await this.query(this.psql.deletePersistentLogin, [id])).rowCount ?? 0) > 0;
  }

  async deletePersistentLoginsOfProfile(profileId: string): Promise<number> {
    return (await this.query(this.psql.deletePersistentLoginsOfProfile, [profileId])).rowCount ?? 0;
  }

  async purgePersistentLogins(now: number, limit: number): Promise<number> {
    return (await this.query(this.psql.purgePersistentLogins, [now, limit])).rowCount ?? 0;
  }

  async createAccessToken(token: AccessTokenRecord): Promise<'created' | 'exists'> {
    const res = await this.query(this.psql.createAccessToken, accessTokenParams(token));
    return res.rowCount === 1 ? 'created' : 'exists';
  }

  async getAccessToken(id: Buffer): Promise<AccessTokenRecord | null> {
    const res = await this.query<AccessTokenRow>(this.psql.getAccessToken, [id]);
    const row = res.rows[0];
    return row ? toAccessToken(row) : null;
  }

  async listAccessTokens(): Promise<AccessTokenRecord[]> {
    const res = await this.query<AccessTokenRow>(this.psql.listAccessTokens);
    return res.rows.map(toAccessToken);
  }

  async deleteAccessToken(id: Buffer): Promise<boolean> {
    return ((await this.query(this.psql.deleteAccessToken, [id])).rowCount ?? 0) > 0;
  }

  async getMeta(key: string): Promise<string | null> {
    const res = await this.query<{ value: Buffer }>(this.psql.getMeta, [key]);
    return res.rows[0]?.value.toString('utf8') ?? null;
  }

  async putMetaIfAbsent(key: string, value: string): Promise<string> {
    const res = await this.query<{ value: Buffer | null }>(this.psql.putMetaIfAbsent, [
      key,
      Buffer.from(value, 'utf8'),
    ]);
    const stored = res.rows[0]?.value;
    if (!stored) throw new Error(`postgres: put_meta_if_absent returned no value for "${key}"`);
    return stored.toString('utf8');
  }

  // ---- Oz surface (OzStore, oz.ts) -------------------------------------------

  async createApp(app: OzAppRecord): Promise<'created' | 'exists'> {
    const res = await this.query(this.ozsql.createApp, appParams(app));
    return res.rowCount === 1 ? 'created' : 'exists';
  }

  async getApp(id: string): Promise<OzAppRecord | null> {
    const res = await this.query<OzAppRow>(this.ozsql.getApp, [id]);
    const row = res.rows[0];
    return row ? toApp(row) : null;
  }

  async listApps(tenant: string | null): Promise<OzAppRecord[]> {
    const res =
      tenant === null
        ? await this.query<OzAppRow>(this.ozsql.listApps)
        : await this.query<OzAppRow>(this.ozsql.listAppsOfTenant, [tenant]);
    return res.rows.map(toApp);
  }

  async setAppKey(id: string, key: string): Promise<OzAppRecord | null> {
    const res = await this.query<OzAppRow>(this.ozsql.setAppKey, [id, key]);
    const row = res.rows[0];
    return row ? toApp(row) : null;
  }

  async deleteApp(id: string): Promise<boolean> {
    const res = await this.query<{ n: number }>(this.ozsql.deleteApp, [id]);
    return (res.rows[0]?.n ?? 0) > 0;
  }

  async createGrant(grant: OzGrantRecord): Promise<void> {
    await this.query(this.ozsql.createGrant, grantParams(grant));
  }

  async getGrant(id: string, now: number): Promise<OzGrantRecord | null> {
    const res = await this.query<OzGrantRow>(this.ozsql.getGrant, [id, now]);
    const row = res.rows[0];
    return row ? toGrant(row) : null;
  }

  async listGrants(filter: { app?: string; user?: string }, now: number, limit: number): Promise<OzGrantRecord[]> {
    if (limit <= 0) return [];
    const n = Math.floor(limit);
    const { app, user } = filter;
    const res =
      app !== undefined && user !== undefined
        ? await this.query<OzGrantRow>(this.ozsql.listGrantsOfAppAndUser, [app, user, now, n])
        : app !== undefined
          ? await this.query<OzGrantRow>(this.ozsql.listGrantsOfApp, [app, now, n])
          : user !== undefined
            ? await this.query<OzGrantRow>(this.ozsql.listGrantsOfUser, [user, now, n])
            : await this.query<OzGrantRow>(this.ozsql.listAllGrants, [now, n]);
    return res.rows.map(toGrant);
  }

  async deleteGrant(id: string): Promise<boolean> {
    return ((await this.query(this.ozsql.deleteGrant, [id])).rowCount ?? 0) > 0;
  }

  async deleteGrantsOfUser(user: string): Promise<number> {
    return (await this.query(this.ozsql.deleteGrantsOfUser, [user])).rowCount ?? 0;
  }

  async purgeGrants(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    return (await this.query(this.ozsql.purgeGrants, [now, Math.floor(limit)])).rowCount ?? 0;
  }

  async useNonce(credentialId: string, nonce: string, now: number, expiresAt: number): Promise<boolean> {
    const res = await this.query(this.ozsql.useNonce, [nonceDigest(credentialId), nonceDigest(nonce), now, expiresAt]);
    return res.rowCount === 1;
  }

  async purgeNonces(now: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    return (await this.query(this.ozsql.purgeNonces, [now, Math.floor(limit)])).rowCount ?? 0;
  }

  /**
   * One statement on a pooled connection: prepared under its name when it
   * has one, run again when the server rolled it back as a deadlock victim,
   * and failing with StoreUnavailableError when the server is out of reach.
   */
  private async query<R extends pg.QueryResultRow>(
    statement: string | pg.QueryConfig,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    const config: pg.QueryConfig & { query_timeout: number } = {
      ...(typeof statement === 'string' ? { text: statement } : statement),
      values,
      query_timeout: this.queryTimeoutMs,
    };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.pool.query<R>(config);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (attempt < ATTEMPTS && typeof code === 'string' && RETRYABLE_SQLSTATES.has(code)) continue;
        throw toStoreError(err);
      }
    }
  }
}

/** The hot paths as named statements: each connection parses and plans them once. */
function statements(s: string) {
  const live = '(expires_at IS NULL OR expires_at > $3)';
  return {
    getTenant: `SELECT name, settings, created_at FROM ${s}.tenants WHERE name = $1`,
    putTenant: `WITH tenant AS (
                  INSERT INTO ${s}.tenants (name, settings, created_at) VALUES ($1, $2, $3)
                  ON CONFLICT (name) DO UPDATE SET settings = EXCLUDED.settings)
                INSERT INTO ${s}.ticket_count_slots (tenant, slot)
                SELECT $1, slot FROM generate_series(0, ${SLOTS - 1}) AS slot
                ON CONFLICT DO NOTHING`,
    // ON CONFLICT DO NOTHING waits for a concurrent insert of the name and then
    // skips it (no row RETURNING), so of concurrent creates exactly one inserts;
    // its slot rows go in with it, in the same statement (ticket_count and the
    // deltas take their default, 0), none for a create that found the tenant.
    createTenant: `WITH tenant AS (
                     INSERT INTO ${s}.tenants (name, settings, created_at) VALUES ($1, $2, $3)
                     ON CONFLICT (name) DO NOTHING
                     RETURNING name),
                   slots AS (
                     INSERT INTO ${s}.ticket_count_slots (tenant, slot)
                     SELECT tenant.name, slot FROM tenant, generate_series(0, ${SLOTS - 1}) AS slot
                     ON CONFLICT DO NOTHING)
                   SELECT name FROM tenant`,
    listTenants: `SELECT name, settings, created_at FROM ${s}.tenants ORDER BY name`,
    create: {
      name: 'ticketd_create',
      text: `SELECT ${s}.create_ticket($1, $2, $3, $4, $5, $6, $7, $8) AS result`,
    },
    use: {
      name: 'ticketd_use',
      text: `SELECT left_uses, sealed FROM ${s}.use_ticket($1, $2, $3)`,
    },
    // A delete waiting for a use's row lock re-reads the row and returns the
    // uses that use left; of concurrent deletes only the first finds a row.
    delete: {
      name: 'ticketd_delete',
      text: `WITH gone AS (
               DELETE FROM ${s}.tickets WHERE id = $2 AND tenant = $1 AND ${live} RETURNING uses_left),
             counted AS (
               UPDATE ${s}.ticket_count_slots SET delta = delta - 1
                WHERE tenant = $1 AND slot = ${slotOf('$2')} AND EXISTS (SELECT 1 FROM gone))
             SELECT uses_left FROM gone`,
    },
    peek: {
      name: 'ticketd_peek',
      text: `SELECT uses_left, expires_at, created_at FROM ${s}.tickets WHERE id = $2 AND tenant = $1 AND ${live}`,
    },
    count: {
      name: 'ticketd_count',
      text: `SELECT ticket_count + (SELECT coalesce(sum(delta), 0) FROM ${s}.ticket_count_slots WHERE tenant = $1) AS n
             FROM ${s}.tenants WHERE name = $1`,
    },
    purge: {
      name: 'ticketd_purge_by_tenant',
      text: `SELECT tenant, n FROM ${s}.purge_tickets_by_tenant($1, $2)`,
    },
  } satisfies Record<string, string | pg.QueryConfig>;
}

function toTenant(row: TenantRow): TenantRecord {
  return { name: row.name, settings: row.settings, createdAt: Number(row.created_at) };
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A 64-bit advisory lock key (as a decimal string) derived from a name. */
function lockKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}
