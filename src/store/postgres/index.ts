/**
 * The PostgreSQL store: several ticketd instances on one durable database.
 *
 * Store URL: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAMS]`
 * (`postgresql://` too). ticketd's own parameters, removed before the URL
 * reaches pg (config.ts): `schema=NAME`, the schema holding ticketd's tables
 * and functions (default `public`, created by `migrate()` when missing), and
 * `pool_max=N`, connections in the pool (default 10). Every other parameter
 * (`sslmode`, `application_name`, ...) goes to pg.
 *
 * Each part is one file of this folder on the pool (pool.ts); every
 * operation is one statement, so one round trip and one transaction, some
 * calling a PL/pgSQL function of migrations.ts where an operation takes
 * several steps. Connection failures reject with StoreUnavailableError; the
 * pool drops broken connections and opens new ones when the server is back.
 */
import { createHash } from 'node:crypto';
import type { Store } from '../types.js';
import { PgAccessTokens } from './access-tokens.js';
import { PgApps } from './apps.js';
import { PgAudit } from './audit.js';
import { PgGrants } from './grants.js';
import { PgLockouts } from './lockouts.js';
import { PgMeta } from './meta.js';
import { LATEST_VERSION, migrations } from './migrations.js';
import { PgNonces } from './nonces.js';
import { PgOutbox } from './outbox.js';
import { PgPool, type PostgresStoreOptions, statement } from './pool.js';
import { PgProfiles } from './profiles.js';
import { PgRateLimits } from './rate-limits.js';
import { PgSessions } from './sessions.js';
import { PgTenants } from './tenants.js';
import { PgTickets } from './tickets.js';
import { PgWebhooks } from './webhooks.js';

export type { PostgresStoreOptions } from './pool.js';

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly latestSchemaVersion = LATEST_VERSION;
  private readonly pg: PgPool;
  readonly tenants;
  readonly tickets;
  readonly profiles;
  readonly sessions;
  readonly accessTokens;
  readonly meta;
  readonly apps;
  readonly webhooks;
  readonly audit;
  readonly outbox;
  readonly grants;
  readonly nonces;
  readonly lockouts;
  readonly rateLimits;

  constructor(url: string, options: PostgresStoreOptions = {}) {
    const pg = new PgPool(url, options);
    this.pg = pg;
    this.tenants = new PgTenants(pg);
    this.tickets = new PgTickets(pg);
    this.profiles = new PgProfiles(pg);
    this.sessions = new PgSessions(pg);
    this.accessTokens = new PgAccessTokens(pg);
    this.meta = new PgMeta(pg);
    this.apps = new PgApps(pg);
    this.webhooks = new PgWebhooks(pg);
    this.audit = new PgAudit(pg);
    this.outbox = new PgOutbox(pg);
    this.grants = new PgGrants(pg);
    this.nonces = new PgNonces(pg);
    this.lockouts = new PgLockouts(pg);
    this.rateLimits = new PgRateLimits(pg);
  }

  /** Every pending version in one transaction, under an advisory lock: processes starting at once apply each once. */
  async migrate(): Promise<void> {
    const { s, schema } = this.pg;
    await this.pg.transaction(
      async (query) => {
        await query('SELECT pg_advisory_xact_lock($1)', [lockKey(`ticketd:migrate:${schema}`)]);
        const exists = await query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
        // CREATE SCHEMA IF NOT EXISTS would need CREATE on the database even when the schema exists.
        if (exists.rowCount === 0) await query(`CREATE SCHEMA ${s}`);
        await query(
          `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
             version integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now())`,
        );
        const done = await query<{ version: number }>(`SELECT version FROM ${s}.schema_migrations`);
        const applied = new Set(done.rows.map((r) => r.version));
        for (const m of migrations) {
          if (applied.has(m.version)) continue;
          await query(m.sql(s));
          await query(`INSERT INTO ${s}.schema_migrations (version) VALUES ($1)`, [m.version]);
        }
      },
      { timeout: false },
    );
  }

  async schemaVersion(): Promise<number> {
    const { s } = this.pg;
    const table = await this.pg.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`${s}.schema_migrations`]);
    if (!table.rows[0]?.t) return 0;
    const row = await this.pg.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${s}.schema_migrations`);
    return row.rows[0]?.v ?? 0;
  }

  async ping(): Promise<void> {
    await this.pg.query('SELECT 1');
  }

  close(): Promise<void> {
    return this.pg.close();
  }

  private readonly deleteTenantSql = () => statement('delete_tenant', `SELECT ${this.pg.s}.delete_tenant($1) AS found`);

  /** The PL/pgSQL function delete_tenant (migrations.ts: what it removes, in which lock order). */
  async deleteTenant(name: string): Promise<boolean> {
    const res = await this.pg.query<{ found: boolean }>(this.deleteTenantSql(), [name]);
    return res.rows[0]?.found === true;
  }
}

/** A 64-bit advisory lock key (as a decimal string) derived from a name. */
function lockKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}
