import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Clock } from '../core/clock.js';
import type { RateLimitStore } from '../store/types.js';
import type { ApiError } from './api-error.js';

/**
 * The optional rate limits (docs/security.md), on `@fastify/rate-limit`
 * with ticketd's store as its counter store: every instance of a deployment
 * counts in the same windows (one row or key per window on PostgreSQL and
 * Redis, the database file on SQLite), by the injected clock.
 *
 * Limits are tenant settings, off (0) by default. A route asks `limiter`
 * for a hook that costs nothing while its tenant sets no limit: the
 * library's handler runs only when one is set, so the ticket surface's hot
 * path pays one property read.
 */

/** Every limit counts requests per minute. */
export const RATE_WINDOW_MS = 60_000;

/** @fastify/rate-limit's store contract (its types do not export one for custom stores). */
interface LibraryStore {
  incr(
    key: string,
    callback: (err: Error | null, result?: { current: number; ttl: number }) => void,
    timeWindow: number,
  ): void;
  child(routeOptions: unknown): LibraryStore;
}

/** Registers the library on the root instance, counting in `store`. */
export async function registerRateLimits(app: FastifyInstance, store: RateLimitStore, clock: Clock): Promise<void> {
  class TicketdStore implements LibraryStore {
    incr(
      key: string,
      callback: (err: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
    ) {
      const now = clock.now();
      store.hit(key, now, timeWindow).then(
        (w) => callback(null, { current: w.count, ttl: Math.max(0, w.resetAt - now) }),
        (err: Error) => callback(err),
      );
    }
    child(): LibraryStore {
      return this;
    }
  }
  await app.register(rateLimit, {
    global: false,
    store: TicketdStore as unknown as RateLimitPluginOptions['store'],
    timeWindow: RATE_WINDOW_MS,
    // Answers keep their shape: no X-RateLimit-* headers; Retry-After comes with the surface's error.
    addHeaders: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
      'retry-after': false,
    },
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
  });
}

export interface LimitRule {
  /** The limit per minute that applies to the request, 0 when none does; synchronous while the tenant is cached. */
  perMinute(req: FastifyRequest): number | Promise<number>;
  /** What is counted: requests with the same key share a window. */
  key(req: FastifyRequest): string;
  /** The surface's 429 (with Retry-After) once the window is full. */
  refuse(retryAfterSeconds: number): ApiError;
}

/**
 * A hook (to run once the request's tenant is known) that counts the
 * request under the rule's key and refuses it when the window is full.
 */
export function limiter(app: FastifyInstance, rule: LimitRule): onRequestHookHandler {
  /** The limit found for a request before the library runs, so that it is looked up once. */
  const limits = new WeakMap<FastifyRequest, number>();
  const check = app.rateLimit({
    keyGenerator: (req) => rule.key(req),
    max: (req) => limits.get(req) ?? 0,
    timeWindow: RATE_WINDOW_MS,
    errorResponseBuilder: (_req, context) => rule.refuse(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  const apply = (req: FastifyRequest, reply: FastifyReply, perMinute: number): Promise<void> | undefined => {
    if (perMinute <= 0) return undefined;
    limits.set(req, perMinute);
    return check.call(app, req, reply) as Promise<void>;
  };
  return (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    const perMinute = rule.perMinute(req);
    const pending =
      typeof perMinute === 'number' ? apply(req, reply, perMinute) : perMinute.then((n) => apply(req, reply, n));
    if (pending === undefined) done();
    else pending.then(() => done(), done);
  };
}
