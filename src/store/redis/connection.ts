import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
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
  /** Replicas every command waits for (`WAIT`) before it is answered; 0: none. */
  wait: number;
}

/** A `redis-cluster://` URL: the seed nodes and what a node's own URL would carry. */
export interface ClusterUrl {
  nodes: { host: string; port: number }[];
  tls: boolean;
  username?: string;
  password?: string;
}

const CLUSTER_SCHEME = /^(rediss?)-cluster:\/\/(?:([^@/]*)@)?([^/?#]+)(\/[^?#]*)?(\?[^#]*)?$/;

/** Whether a store URL names a Redis Cluster. */
export const isClusterUrl = (url: string): boolean => /^rediss?-cluster:\/\//.test(url);

/**
 * `redis-cluster://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...][/][?prefix=P...]`
 * (`rediss-cluster://` for TLS): the seed nodes (the client learns the rest
 * from them) and the store's parameters, as for `redis://`.
 */
export function parseClusterUrl(url: string): { cluster: ClusterUrl; options: RedisStoreOptions } {
  const m = CLUSTER_SCHEME.exec(url);
  if (!m) throw new Error('redis store: a cluster URL is redis-cluster://HOST:PORT[,HOST:PORT...][/?prefix=...]');
  const nodes = (m[3] as string).split(',').map((hp) => {
    const at = hp.lastIndexOf(':');
    const port = Number(hp.slice(at + 1));
    if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error('redis store: every cluster node is HOST:PORT');
    }
    return { host: hp.slice(0, at).replace(/^\[|\]$/g, ''), port };
  });
  const [user, pass] = (m[2] ?? '').split(':', 2).map((v) => decodeURIComponent(v));
  // The parameters are read as those of a redis:// URL with the first node.
  const { options } = parseRedisUrl(`redis://${m[3]?.split(',')[0]}/${m[5] ?? ''}`);
  if (/[{}]/.test(options.prefix)) throw new Error('redis store: a cluster prefix may not hold { or }');
  return {
    cluster: {
      nodes,
      tls: m[1] === 'rediss',
      ...(user ? { username: user } : {}),
      ...(pass ? { password: pass } : {}),
    },
    options,
  };
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
  const wait = take('wait') ?? '0';
  if (!/^[0-9]$/.test(wait)) throw new Error('redis store: wait must be a number of replicas, 0-9');
  const options = {
    prefix,
    expiryGraceMs: ms('expiryGraceMs', DEFAULT_EXPIRY_GRACE_MS),
    timeoutMs: ms('timeoutMs', DEFAULT_TIMEOUT_MS),
    wait: Number(wait),
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
  return new Redis(connection, clientOptions(timeoutMs));
}

function clientOptions(timeoutMs: number): RedisOptions {
  return {
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
}

/**
 * The ioredis cluster client, with the same rules as createClient for each
 * node's connection: no resent commands, no retry of a command whose
 * connection drops. A command that
 * meets a moved slot (MOVED, ASK) follows it; a failover shows as
 * StoreUnavailableError until the cluster has promoted a replica.
 */
export function createClusterClient(url: ClusterUrl, timeoutMs: number): Cluster {
  // The cluster client sets these for its node connections itself.
  const { enableOfflineQueue: _q, retryStrategy: _r, ...node } = clientOptions(timeoutMs);
  return new Cluster(url.nodes, {
    lazyConnect: true,
    // Unlike a single node, the cluster client sends its own commands (the
    // ready check, slot refreshes) to node connections that are still
    // connecting; without queues those fail and the client starts over.
    // Connection.ready() still refuses commands until the cluster is ready,
    // and a queued command fails at the first close (maxRetriesPerRequest 0).
    enableOfflineQueue: true,
    enableAutoPipelining: true,
    maxRedirections: 8,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    clusterRetryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 5), 1_000),
    slotsRefreshTimeout: timeoutMs,
    // After a failover the node that died answers nothing, so no MOVED
    // reply tells the client where its slots went: it asks every second.
    slotsRefreshInterval: 1_000,
    redisOptions: {
      ...node,
      lazyConnect: false,
      ...(url.username ? { username: url.username } : {}),
      ...(url.password ? { password: url.password } : {}),
      ...(url.tls ? { tls: {} } : {}),
    },
  });
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
    readonly redis: Redis | Cluster,
    private readonly timeoutMs: number,
    /** Replicas each command waits for (`WAIT`), 0: none. */
    private readonly replicas = 0,
    /** On a cluster: a key in the slot of the commands that name no key of their own. */
    private readonly homeKey?: string,
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

  /**
   * Runs one command once the connection is ready, mapping connection
   * failures to StoreUnavailableError. With `wait`, the answer comes once
   * that many replicas have the command's writes (WAIT on the command's
   * connection: on every primary of a cluster, whose connections carried
   * it); a replica that does not confirm in time is StoreUnavailableError —
   * the write may then still be on the primary alone. `confirm` false: no
   * WAIT (a repair whose loss errs on the safe side).
   */
  async run<T>(command: () => Promise<T>, key?: string, confirm = true): Promise<T> {
    await this.ready();
    try {
      const result = await command();
      if (confirm && this.replicas > 0) await this.waitForReplicas(key ?? this.homeKey);
      return result;
    } catch (err) {
      throw toStoreError(err);
    }
  }

  /** Runs a command that writes nothing: as run(), without waiting for replicas. */
  read<T>(command: () => Promise<T>): Promise<T> {
    return this.run(command, undefined, false);
  }

  /**
   * WAIT counts the writes of the connection it is sent on: on a cluster,
   * the connection to the primary that owns the command's slot (`key`, by
   * default one of the store's own slot); another primary's connection
   * would confirm nothing of it.
   */
  private async waitForReplicas(key: string | undefined): Promise<void> {
    const redis = this.redis;
    const node = redis instanceof Cluster ? primaryOf(redis, key) : redis;
    // WAIT's own timeout ends before the command timeout would: "too few
    // replicas" rather than "timed out", and the connection stays usable.
    const acked = node ? await node.wait(this.replicas, Math.max(1, Math.floor(this.timeoutMs / 2))) : 0;
    if (acked < this.replicas) {
      throw new StoreUnavailableError(`redis: fewer than ${this.replicas} replicas confirmed the write in time`);
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

/** The connection to the primary that serves `key`'s slot, as the cluster client last learned it. */
function primaryOf(cluster: Cluster, key: string | undefined): Redis | undefined {
  const nodeKey = key === undefined ? undefined : cluster.slots[calculateSlot(key)]?.[0];
  return cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === nodeKey);
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
