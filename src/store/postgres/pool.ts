import pg from 'pg';
import type { Dialect } from '../sql/table.js';
import { parsePostgresUrl } from './config.js';
import { RETRYABLE_SQLSTATES, toStoreError } from './errors.js';
import { fromJsonb, toJsonb } from './json.js';

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

/** How the shared tables (sql/tables.ts) travel in PostgreSQL: jsonb read as text (json.ts), bigint as a string. */
export const dialect: Dialect = {
  placeholder: (i) => `$${i}`,
  select: (column, type) => (type === 'json' ? `${column}::text AS ${column}` : column),
  toDb: (type, v) => (type === 'json' ? toJsonb(v) : v),
  fromDb: (type, v) => (type === 'json' ? fromJsonb(v as string) : type === 'int' ? Number(v) : v),
  asIs: ['text', 'bool', 'bytes'],
};

/** One statement on a transaction's connection (PgPool.transaction). */
export type TxQuery = <R extends pg.QueryResultRow = pg.QueryResultRow>(
  statement: string | pg.QueryConfig,
  values?: unknown[],
) => Promise<pg.QueryResult<R>>;

/** A named statement: each connection parses and plans it once. */
export const statement = (name: string, text: string): pg.QueryConfig => ({ name: `ticketd_${name}`, text });

/**
 * The handle every part of the PostgreSQL store works on: the connection
 * pool, the schema its tables live in (`s`, quoted, qualifies every name so
 * that nothing depends on the search_path), and query(): one statement on a
 * pooled connection, so one round trip and one transaction.
 */
export class PgPool {
  readonly pool: pg.Pool;
  readonly schema: string;
  /** The schema as an SQL identifier. */
  readonly s: string;
  private readonly queryTimeoutMs: number;
  private closed: Promise<void> | undefined;

  constructor(url: string, options: PostgresStoreOptions = {}) {
    const config = parsePostgresUrl(url);
    this.schema = config.schema;
    this.s = `"${config.schema.replaceAll('"', '""')}"`;
    this.queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    this.pool = new pg.Pool(config.pool);
    // Without a listener an idle connection's error would be thrown and end the process.
    this.pool.on('error', options.onError ?? (() => {}));
  }

  /**
   * One statement on a pooled connection: prepared under its name when it
   * has one, run again when the server rolled it back as a deadlock victim,
   * and failing with StoreUnavailableError when the server is out of reach.
   */
  async query<R extends pg.QueryResultRow>(
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

  /**
   * Statements that must go together, in one transaction on one connection:
   * for the few writes whose second statement depends on the first's rows
   * (the purge and its events). Rolled back when `f` throws.
   */
  async transaction<T>(f: (query: TxQuery) => Promise<T>, options: { timeout?: boolean } = {}): Promise<T> {
    const client = await this.pool.connect().catch((err: unknown) => {
      throw toStoreError(err);
    });
    const onClientError = () => {};
    client.on('error', onClientError);
    let failed: unknown;
    try {
      // Migrations run as long as they need: no query timeout (see DEFAULT_QUERY_TIMEOUT_MS).
      const timeout = options.timeout === false ? {} : { query_timeout: this.queryTimeoutMs };
      const query: TxQuery = (statement, values = []) =>
        client.query({ ...(typeof statement === 'string' ? { text: statement } : statement), values, ...timeout });
      await client.query('BEGIN');
      const result = await f(query);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      failed = err;
      await client.query('ROLLBACK').catch(() => {});
      throw toStoreError(err);
    } finally {
      client.off('error', onClientError);
      client.release(failed instanceof Error ? failed : undefined);
    }
  }

  /** The first row's record through a table spec, or null. */
  async one<R>(
    map: (row: Record<string, unknown>) => R,
    statement: pg.QueryConfig,
    values: unknown[],
  ): Promise<R | null> {
    const row = (await this.query(statement, values)).rows[0];
    return row ? map(row) : null;
  }

  /** How many rows the statement touched. */
  async count(statement: pg.QueryConfig, values: unknown[]): Promise<number> {
    return (await this.query(statement, values)).rowCount ?? 0;
  }

  async close(): Promise<void> {
    this.closed ??= this.pool.end();
    await this.closed;
  }
}
