import type { LoginFailure } from './profiles.js';

/**
 * Failed logins of usernames that name no profile, kept like a profile's own
 * counters (`ProfileStore.recordLoginFailure`) so that every instance counts,
 * delays and locks an unknown username exactly as a known one: nothing in
 * the answers tells them apart. Keyed by a digest of (tenant, username); an
 * entry lives until `expiresAt` or the end of its lock, whichever is later.
 */
export interface LockoutStore {
  /**
   * Counts one attempt, atomically (N concurrent calls add exactly N): a
   * lock that ended at or before `now`, or an entry past its expiry, starts
   * the count again; reaching `lockAfter` (> 0) locks until now + lockMs,
   * never extending a running lock.
   */
  record(key: Buffer, now: number, lockAfter: number, lockMs: number, expiresAt: number): Promise<LoginFailure>;
  /** Forgets the key's attempts (an administrator's unlock has nothing to unlock here, but a tenant's deletion does). */
  reset(key: Buffer): Promise<void>;
  /** Up to `limit` entries past their expiry and their lock; how many. */
  purge(now: number, limit: number): Promise<number>;
}
