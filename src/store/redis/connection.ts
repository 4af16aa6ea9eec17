import { Redis, type RedisOptions } from 'ioredis';
import { StoreUnavailableError } from '../types.js';

export const DEFAULT_PREFIX = 'ticketd:';
/** Native expiry comes this long after the caller's expiresAt: only a memory backstop. */
export const DEFAULT_EXPIRY_GRACE_MS = 10_000;
export const DEFAULT_TIMEOUT_MS = 2_000;

export interface RedisStoreOptions {
  /** Prepended to every key; isolates deployments and test runs sharing one Redis. */
  prefix: string;
  /** Added to (expiresAt - now) for a ticket's native PEXPIRE. */
  expiryGraceMs: number;
  /** How long a command, or waiting for the connection, may take before StoreUnavailableError. */
  timeoutMs: number;
}

/**
 * Splits a store URL into the connection URL for ioredis and the store's own
 * query parameters (`prefix`, `expiryGraceMs`, `timeoutMs`), which are
 * removed so that ioredis does not take them as its options. Other query
 * parameters are left to ioredis.
 */
export function parseRedisUrl(url: string): { connection: string; options: RedisStoreOptions } {
  const parsed = new URL(url);
  const take = (name: string): string | null => {
    const value = parsed.searchParams.get(name);
    parsed.searchParams.delete(name);
    return value;
  };
  const ms = (name: string, fallback: number): number => {
    const value = take(name);
    if (value === null) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`redis store: ${name} must be a whole number of ms`);
    return n;
  };
  const prefix = take('prefix') ?? DEFAULT_PREFIX;
  const options = {
    prefix,
    expiryGraceMs: ms('expiryGraceMs', DEFAULT_EXPIRY_GRACE_MS),
    timeoutMs: ms('timeoutMs', DEFAULT_TIMEOUT_MS),
  };
  return { connection: parsed.toString(), options };
}

/**
 * The ioredis client. Commands are never queued while disconnected
 * (`enableOfflineQueue: false`): a command queued offline would still run
 * after its caller got an error, e.g. take a ticket use nobody sees. For the
 * same reason a command in flight when the connection drops is rejected at
 * once (`maxRetriesPerRequest: 0`) and never resent
 * (`autoResendUnfulfilledCommands: false`); `commandTimeout` bounds the wait
 * for a reply. The client reconnects by itself forever, with a backoff capped
 * at one second. Commands of one event-loop turn are sent together
 * (auto-pipelining); each still gets its own reply or error.
 */
export function createClient(connection: string, timeoutMs: number): Redis {
  const options: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 5), 1_000),
    // Commands issued in one event-loop turn leave in one write: a syscall
    // per command cost more than the command itself.
    enableAutoPipelining: true,
  };
  return new Redis(connection, options);
}

/**
 * Gates every command on a ready connection: the first command of a lazy
 * client starts the connection and waits for it (at most `timeoutMs`); while
 * the client is reconnecting after a failure, commands fail at once.
 */
export class Connection {
  private lastError: Error | undefined;
  private waiting: Promise<void> | undefined;
  private closed = false;

  constructor(
    readonly redis: Redis,
    private readonly timeoutMs: number,
  ) {
    // Without a listener an 'error' event would crash the process; errors
    // surface to callers as StoreUnavailableError instead.
    redis.on('error', (err: Error) => {
      this.lastError = err;
    });
  }

  /** Resolves when commands can be sent; rejects with StoreUnavailableError otherwise. */
  ready(): Promise<void> {
    const status = this.redis.status;
    if (status === 'ready') return Promise.resolve();
    if (this.closed || status === 'end') {
      return Promise.reject(new StoreUnavailableError('redis: the store is closed'));
    }
    // The connection was lost or refused; the client retries by itself in the background.
    if (status === 'close' || status === 'reconnecting')
      return Promise.reject(this.unavailable('redis: not connected'));
    this.waiting ??= this.waitForReady().finally(() => {
      this.waiting = undefined;
    });
    return this.waiting;
  }

  /** Runs one command once the connection is ready, mapping connection failures to StoreUnavailableError. */
  async run<T>(command: () => Promise<T>): Promise<T> {
    await this.ready();
    try {
      return await command();
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.redis.status === 'ready') {
      try {
        await this.redis.quit();
        return;
      } catch {
        // fall through to a hard disconnect
      }
    }
    this.redis.disconnect();
  }

  private waitForReady(): Promise<void> {
    const redis = this.redis;
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        redis.off('ready', onReady);
        redis.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onReady = () => done();
      const onClose = () => done(this.unavailable('redis: connection failed'));
      const timer = setTimeout(() => done(this.unavailable('redis: connect timed out')), this.timeoutMs);
      redis.once('ready', onReady);
      redis.once('close', onClose);
      if (redis.status === 'wait') redis.connect().catch(() => {});
    });
  }

  private unavailable(message: string): StoreUnavailableError {
    const cause = this.lastError;
    return new StoreUnavailableError(cause ? `${message}: ${cause.message}` : message, { cause });
  }
}

/** Replies that mean "the server cannot serve now", not "this command is wrong". */
const UNAVAILABLE_REPLIES = new Set([
  'LOADING',
  'BUSY',
  'READONLY',
  'MASTERDOWN',
  'NOREPLICAS',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'OOM',
]);

/**
 * An error reply from Redis is a bug (a wrong script or argument) unless it
 * says the server is unavailable; any other failure of a command (connection
 * closed or refused, stream not writable, command timed out) means the store
 * cannot be reached.
 */
export function toStoreError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || !(err instanceof Error)) return err;
  if (err.name === 'ReplyError') {
    const code = err.message.split(' ', 1)[0] ?? '';
    return UNAVAILABLE_REPLIES.has(code) ? new StoreUnavailableError(`redis: ${err.message}`, { cause: err }) : err;
  }
  return new StoreUnavailableError(`redis: ${err.message}`, { cause: err });
}

/** What every part of the Redis store works on (index.ts builds it once). */
export interface RedisContext {
  conn: Connection;
  redis: import('./scripts.js').ScriptedRedis;
  keys: import('./keys.js').Keys;
  /** A record's native expiry comes this long after its own (a memory backstop only). */
  expiryGraceMs: number;
}

/** The native expiry (PEXPIRE ms) of a record that dies at `expiresAt`, seen from the caller's `now`. */
export function nativeTtl(ctx: RedisContext, expiresAt: number, now: number): string {
  return String(Math.ceil(Math.max(1, expiresAt - now + ctx.expiryGraceMs)));
}
