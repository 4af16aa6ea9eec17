export interface ProfileRecord {
  /** 24 lowercase hex characters (Crafter's MongoDB ObjectId format). */
  id: string;
  tenant: string;
  username: string;
  email: string;
  /** Encoded memory-hard hash (`scrypt$...`); null when the profile has no password. */
  passwordHash: string | null;
  enabled: boolean;
  verified: boolean;
  roles: string[];
  attributes: Record<string, unknown>;
  createdOn: number;
  lastModified: number;
  /** Wrong passwords since the last success or the end of the last lock. */
  failedLoginAttempts: number;
  lastFailedLogin: number | null;
  /** Epoch ms until which the profile is locked; null when it is not. */
  lockedUntil: number | null;
}

/** Fields `update` may change; absent fields keep their value. */
export type ProfilePatch = Partial<
  Pick<ProfileRecord, 'username' | 'email' | 'passwordHash' | 'enabled' | 'verified' | 'roles' | 'attributes'>
>;

export interface LoginFailure {
  /** Failed attempts counted after this one. */
  failedLoginAttempts: number;
  /** Set when this failure locked the profile (or it was already locked). */
  lockedUntil: number | null;
}

/** Profiles (docs/profile.md) with their lockout counters. A tenant's profiles go with the tenant: `Store.deleteTenant`. */
export interface ProfileStore {
  /**
   * Inserts the profile unless its tenant already has one with the same
   * username. Atomic: of concurrent creates with one username in one tenant,
   * exactly one returns `created`.
   */
  create(profile: ProfileRecord): Promise<'created' | 'exists'>;
  get(id: string): Promise<ProfileRecord | null>;
  getByUsername(tenant: string, username: string): Promise<ProfileRecord | null>;
  /** Profiles of a tenant ordered by username, for administration. */
  list(tenant: string, offset: number, limit: number): Promise<ProfileRecord[]>;
  count(tenant: string): Promise<number>;
  /**
   * Applies the patch and sets lastModified = now; `exists` when a new
   * username is taken in the tenant, null when there is no such profile.
   */
  update(id: string, patch: ProfilePatch, now: number): Promise<ProfileRecord | 'exists' | null>;
  /** Removes the profile with its sessions, atomically. */
  delete(id: string): Promise<boolean>;

  /**
   * Counts one wrong password, atomically (N concurrent calls add exactly N).
   * A lock that ended at or before `now` is cleared (count back to 0) before
   * counting. When the count reaches `lockAfter` (> 0), the profile is locked
   * until now + lockMs. Null when there is no such profile.
   */
  recordLoginFailure(id: string, now: number, lockAfter: number, lockMs: number): Promise<LoginFailure | null>;
  /** Clears the failure count and any lock (a successful login, an admin unlock). */
  resetLoginFailures(id: string): Promise<void>;
}

/**
 * One wrong password (ProfileStore.recordLoginFailure), for the backends
 * that compute it in JavaScript (SQLite); those that compute it in the
 * database (SQL, Lua) follow the same rule, which the conformance suite
 * checks: a lock that ended at or before `now` is cleared, with its count,
 * before counting; reaching `lockAfter` (> 0) locks until `now + lockMs`
 * unless the profile is locked already (a running lock is never extended).
 */
export function countFailure(
  p: Pick<ProfileRecord, 'failedLoginAttempts' | 'lockedUntil'>,
  now: number,
  lockAfter: number,
  lockMs: number,
): Pick<ProfileRecord, 'failedLoginAttempts' | 'lastFailedLogin' | 'lockedUntil'> {
  const lockEnded = p.lockedUntil !== null && p.lockedUntil <= now;
  const failedLoginAttempts = (lockEnded ? 0 : p.failedLoginAttempts) + 1;
  let lockedUntil = lockEnded ? null : p.lockedUntil;
  if (lockedUntil === null && lockAfter > 0 && failedLoginAttempts >= lockAfter) lockedUntil = now + lockMs;
  return { failedLoginAttempts, lastFailedLogin: now, lockedUntil };
}

const PATCHABLE = ['username', 'email', 'passwordHash', 'enabled', 'verified', 'roles', 'attributes'] as const;

/** The fields of a patch that update may apply: known names with a defined value. */
export function patchFields(patch: ProfilePatch): ProfilePatch {
  const out: Record<string, unknown> = {};
  for (const k of PATCHABLE) if (patch[k] !== undefined) out[k] = patch[k];
  return out as ProfilePatch;
}
