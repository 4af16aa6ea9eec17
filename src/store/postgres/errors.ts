import { StoreUnavailableError } from '../types.js';

/** Socket-level failures: the server cannot be reached or went away. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
]);

/** SQLSTATEs that mean "the server cannot serve right now", not "this query is wrong". */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown (pg_terminate_backend, fast shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '57P05', // idle_session_timeout
  '53300', // too_many_connections
  '25006', // read_only_sql_transaction: a standby answered during a failover
]);

/** Messages of pg and pg-pool errors that carry no code. */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|is not queryable|Query read timeout|connection timeout/i;

/** SQLSTATEs after which the whole (single-statement) transaction was rolled back and may simply run again. */
export const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) return true;
  }
  // Node's happy-eyeballs connect reports every address it tried.
  if (err instanceof AggregateError && err.errors.some(isUnavailable)) return true;
  return UNAVAILABLE_MESSAGES.test(err.message);
}

/** The error a store method rejects with: StoreUnavailableError when the backend is out of reach. */
export function toStoreError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || !isUnavailable(err)) return err;
  const what = (err as { code?: string }).code ?? (err as Error).message;
  return new StoreUnavailableError(`postgres: ${what}`, { cause: err });
}
