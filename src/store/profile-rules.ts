/**
 * Rules of the profile records that every backend computing in JavaScript
 * (memory, SQLite) applies the same way; backends that compute in the database
 * (SQL, Lua) must follow the same rules, which the conformance suite checks.
 */
import type { ProfilePatch, ProfileRecord } from './profile-types.js';

/**
 * One wrong password (ProfileStore.recordLoginFailure): a lock that ended at
 * or before `now` is cleared, with its count, before counting; reaching
 * `lockAfter` (> 0) locks until `now + lockMs` unless the profile is locked
 * already (a running lock is never extended).
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

/** The fields of a patch that updateProfile may apply: known names with a defined value. */
export function patchFields(patch: ProfilePatch): ProfilePatch {
  const out: Record<string, unknown> = {};
  for (const k of PATCHABLE) if (patch[k] !== undefined) out[k] = patch[k];
  return out as ProfilePatch;
}
