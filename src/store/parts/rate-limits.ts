/**
 * Fixed-window request counters of the optional rate limits
 * (docs/security.md), shared by every instance of a deployment: a key names
 * what is counted (a tenant's ticket creations, a client address's
 * authentications on a tenant). The HTTP layer (`@fastify/rate-limit` with
 * the store adapter of src/http/rate-limit.ts) decides what to refuse.
 */
export interface RateLimitStore {
  /**
   * Counts one request under `key`, atomically (N concurrent calls add
   * exactly N): a window that ended at or before `now` starts again at 1
   * and ends at now + windowMs. Returns the count and the window's end.
   */
  hit(key: string, now: number, windowMs: number): Promise<RateWindow>;
  /** Up to `limit` windows that ended at or before `now`; how many. */
  purge(now: number, limit: number): Promise<number>;
}

export interface RateWindow {
  count: number;
  resetAt: number;
}
