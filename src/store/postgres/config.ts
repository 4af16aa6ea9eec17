import type { PoolConfig } from 'pg';

/** What a `postgres://` store URL says, split into ticketd's own options and pg's. */
export interface PostgresConfig {
  /** The schema holding every table and function of this store. */
  schema: string;
  pool: PoolConfig;
}

/** A schema name ticketd accepts: a plain identifier, so it never needs escaping tricks. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const DEFAULT_POOL_MAX = 10;

/**
 * Parses `postgres://user:pass@host:port/db?schema=NAME&pool_max=N&...`.
 * `schema` and `pool_max` are ticketd's and are removed; every other
 * parameter (sslmode, application_name, ...) is left for pg.
 */
export function parsePostgresUrl(url: string): PostgresConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('postgres store: the store URL is not a valid URL');
  }
  const schema = parsed.searchParams.get('schema') ?? 'public';
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`postgres store: schema "${schema}" must match ${SCHEMA_NAME}`);
  }
  const poolMaxParam = parsed.searchParams.get('pool_max');
  const poolMax = poolMaxParam === null ? DEFAULT_POOL_MAX : Number(poolMaxParam);
  if (!Number.isInteger(poolMax) || poolMax < 1) {
    throw new Error(`postgres store: pool_max must be a positive integer, got "${poolMaxParam}"`);
  }
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('pool_max');
  if (!parsed.searchParams.has('application_name')) parsed.searchParams.set('application_name', 'ticketd');

  return {
    schema,
    pool: {
      connectionString: parsed.toString(),
      max: poolMax,
      // A request waits this long for a connection (a dead server, a full
      // pool) before it fails with StoreUnavailableError (HTTP 503).
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    },
  };
}
