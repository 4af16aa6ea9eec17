import { randomBytes } from 'node:crypto';
import type { ProfilePatch, ProfileRecord, Store } from '../store/types.js';
import type { Subscriptions } from '../webhooks/subscriptions.js';
import { type Actor, requireAction } from './access-tokens.js';
import type { Clock } from './clock.js';
import { domainError } from './domain-error.js';
import type { Events } from './events.js';
import { MAX_PASSWORD_LENGTH, type Passwords } from './passwords.js';
import { type TenantSettings, withDefaults } from './tenant-settings.js';

/**
 * Profiles (docs/profile.md): a tenant's users, with a scrypt password hash that
 * never leaves this module's callers' hands through `publicProfile`.
 * Disabling or deleting a profile, or changing its password, ends its login
 * tickets and persistent logins.
 */

/** Profile ids are 24 lowercase hex characters, as Crafter's MongoDB ObjectIds. */
export const PROFILE_ID = /^[0-9a-f]{24}$/;
export const MAX_USERNAME_LENGTH = 255;
export const MAX_EMAIL_LENGTH = 254;
export const MAX_ROLE_LENGTH = 100;
export const MAX_ROLES = 100;
/** Deepest nesting accepted in `attributes`. */
export const MAX_ATTRIBUTES_DEPTH = 32;
/** Crafter's `attributeToReturn` value meaning "no attributes". */
export const NO_ATTRIBUTE = '$none';

const EMAIL = /^[^\s@]+@[^\s@]+$/;
/** Control characters are refused in names, so that every store keeps them alike (PostgreSQL text refuses U+0000). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * A new profile id in ObjectId layout: 4 bytes of seconds since the epoch
 * (clients may read the creation time from it), then 8 random bytes.
 */
export function newProfileId(nowMs: number): string {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(Math.floor(nowMs / 1000) >>> 0, 0);
  randomBytes(8).copy(b, 4);
  return b.toString('hex');
}

/** A profile as answered to clients, keys in Crafter's order; never the password. */
export interface PublicProfile {
  username: string;
  email: string;
  verified: boolean;
  enabled: boolean;
  createdOn: number;
  lastModified: number;
  tenant: string;
  roles: string[];
  attributes: Record<string, unknown>;
  id: string;
}

/**
 * The client's view of a profile. `attributesToReturn` (Crafter's
 * `attributeToReturn`) keeps only the named attributes; `$none` keeps none.
 */
export function publicProfile(p: ProfileRecord, attributesToReturn?: readonly string[]): PublicProfile {
  let attributes = p.attributes;
  if (attributesToReturn && attributesToReturn.length > 0) {
    const keep = new Set(attributesToReturn);
    attributes = Object.fromEntries(Object.entries(p.attributes).filter(([k]) => keep.has(k)));
  }
  return {
    username: p.username,
    email: p.email,
    verified: p.verified,
    enabled: p.enabled,
    createdOn: p.createdOn,
    lastModified: p.lastModified,
    tenant: p.tenant,
    roles: [...p.roles],
    attributes,
    id: p.id,
  };
}

export interface NewProfile {
  tenant: string;
  username: string;
  password: string;
  email: string;
  enabled: boolean;
  roles: string[];
  attributes: Record<string, unknown>;
}

/** Absent fields keep their value; `attributes` are merged into the existing ones (Crafter's update). */
export interface ProfileUpdate {
  username?: string | undefined;
  password?: string | undefined;
  email?: string | undefined;
  enabled?: boolean | undefined;
  roles?: string[] | undefined;
  attributes?: Record<string, unknown> | undefined;
}

export type SessionsEndedReason = 'disabled' | 'deleted' | 'password_changed';

const invalid = (message: string) => domainError('INVALID_PARAM', message);
export const noSuchProfile = (id: string) => domainError('NO_SUCH_PROFILE', `No profile with ID "${id}" found`);

/** Nesting depth of a JSON value, without recursion. */
export function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (d > max) max = d;
    if (max > MAX_ATTRIBUTES_DEPTH) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

export function checkAttributes(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('Attributes must be a JSON object');
  }
  if (jsonDepth(value) > MAX_ATTRIBUTES_DEPTH) {
    throw invalid(`Attributes must not be nested deeper than ${MAX_ATTRIBUTES_DEPTH} levels`);
  }
  return value as Record<string, unknown>;
}

function checkUsername(username: string): void {
  if (username.length === 0 || username.length > MAX_USERNAME_LENGTH) {
    throw invalid(`Username must be 1 to ${MAX_USERNAME_LENGTH} characters`);
  }
  if (hasControl(username)) throw invalid('Username must not contain control characters');
}

function checkPassword(password: string): void {
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
    throw invalid(`Password must be 1 to ${MAX_PASSWORD_LENGTH} characters`);
  }
}

function checkEmail(email: string): void {
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email) || hasControl(email)) {
    throw invalid(`The specified email address "${email}" is invalid`);
  }
}

function checkRoles(roles: string[], tenant: string, settings: TenantSettings): string[] {
  const unique = [...new Set(roles)];
  if (unique.length > MAX_ROLES) throw invalid(`A profile has at most ${MAX_ROLES} roles`);
  for (const role of unique) {
    if (role.length === 0 || role.length > MAX_ROLE_LENGTH || hasControl(role)) {
      throw invalid(`Roles must be 1 to ${MAX_ROLE_LENGTH} characters, without control characters`);
    }
    if (settings.availableRoles.length > 0 && !settings.availableRoles.includes(role)) {
      throw invalid(`Role "${role}" is not available in tenant "${tenant}"`);
    }
  }
  return unique;
}

export class Profiles {
  constructor(
    private readonly store: Pick<Store, 'tenants' | 'profiles' | 'sessions'>,
    private readonly passwords: Passwords,
    private readonly clock: Clock,
    private readonly events: Events,
    /** Which changes raise webhook events (docs/events.md); none without it. */
    private readonly subscriptions?: Subscriptions,
  ) {}

  async create(actor: Actor, input: NewProfile): Promise<ProfileRecord> {
    requireAction(actor, input.tenant, 'MANAGE_PROFILES');
    // Read past the tenant cache: a profile must never be created in a tenant deleted a moment ago.
    const tenant = await this.store.tenants.get(input.tenant);
    if (!tenant) throw domainError('NO_SUCH_TENANT', `No tenant with name "${input.tenant}" found`);
    checkUsername(input.username);
    checkPassword(input.password);
    checkEmail(input.email);
    const settings = withDefaults(tenant.settings);
    const roles = checkRoles(input.roles, tenant.name, settings);
    const attributes = checkAttributes(input.attributes);
    const now = this.clock.now();
    const verify = settings.verifyNewProfiles;
    const record: ProfileRecord = {
      id: newProfileId(now),
      tenant: tenant.name,
      username: input.username,
      email: input.email,
      passwordHash: await this.passwords.hash(input.password, tenant.name),
      // A tenant that verifies new profiles keeps them disabled until they are verified (enabled by an administrator).
      enabled: input.enabled && !verify,
      verified: false,
      roles,
      attributes,
      createdOn: now,
      lastModified: now,
      failedLoginAttempts: 0,
      lastFailedLogin: null,
      lockedUntil: null,
    };
    if ((await this.store.profiles.create(record)) === 'exists') {
      throw domainError('PROFILE_EXISTS', `A profile with name "${input.username}" already exists`);
    }
    return record;
  }

  /** The profile, if the actor may manage profiles of its tenant. A malformed id is NO_SUCH_PROFILE. */
  async get(actor: Actor, id: string): Promise<ProfileRecord> {
    const profile = await this.find(id);
    if (!profile) throw noSuchProfile(id);
    requireAction(actor, profile.tenant, 'MANAGE_PROFILES');
    return profile;
  }

  /** The profile without any permission check; null when the id is malformed or unknown. */
  async find(id: string): Promise<ProfileRecord | null> {
    const normalized = id.toLowerCase();
    if (!PROFILE_ID.test(normalized)) return null;
    return this.store.profiles.get(normalized);
  }

  /** One page of a tenant's profiles, by username, with the tenant's total (MANAGE_PROFILES). */
  async list(
    actor: Actor,
    tenant: string,
    offset: number,
    limit: number,
  ): Promise<{ total: number; profiles: ProfileRecord[] }> {
    requireAction(actor, tenant, 'MANAGE_PROFILES');
    if (!(await this.store.tenants.get(tenant))) {
      throw domainError('NO_SUCH_TENANT', `No tenant with name "${tenant}" found`);
    }
    const [total, profiles] = await Promise.all([
      this.store.profiles.count(tenant),
      this.store.profiles.list(tenant, offset, limit),
    ]);
    return { total, profiles };
  }

  /** Clears the failed-login count and any lockout of the profile (an administrator's unlock). */
  async unlock(actor: Actor, id: string): Promise<ProfileRecord> {
    const profile = await this.get(actor, id);
    await this.store.profiles.resetLoginFailures(profile.id);
    const after = await this.store.profiles.get(profile.id);
    if (!after) throw noSuchProfile(id);
    return after;
  }

  async update(actor: Actor, id: string, change: ProfileUpdate): Promise<ProfileRecord> {
    const current = await this.get(actor, id);
    const patch: ProfilePatch = {};
    if (change.username !== undefined) {
      checkUsername(change.username);
      patch.username = change.username;
    }
    if (change.email !== undefined) {
      checkEmail(change.email);
      patch.email = change.email;
    }
    if (change.enabled !== undefined) patch.enabled = change.enabled;
    if (change.roles !== undefined) {
      const tenant = await this.store.tenants.get(current.tenant);
      if (!tenant) throw noSuchProfile(id);
      patch.roles = checkRoles(change.roles, current.tenant, withDefaults(tenant.settings));
    }
    if (change.attributes !== undefined) {
      // Merged key by key; fromEntries defines properties, so a "__proto__" key stays a plain key.
      const merged = Object.fromEntries([
        ...Object.entries(current.attributes),
        ...Object.entries(checkAttributes(change.attributes)),
      ]);
      patch.attributes = checkAttributes(merged);
    }
    if (change.password !== undefined) {
      checkPassword(change.password);
      patch.passwordHash = await this.passwords.hash(change.password, current.tenant);
    }
    const updated = await this.store.profiles.update(current.id, patch, this.clock.now());
    if (updated === 'exists') {
      throw domainError('PROFILE_EXISTS', `A profile with name "${change.username}" already exists`);
    }
    if (!updated) throw noSuchProfile(id);
    if (patch.passwordHash !== undefined) await this.endSessions(updated, 'password_changed');
    else if (patch.enabled === false) await this.endSessions(updated, 'disabled');
    return updated;
  }

  enable(actor: Actor, id: string): Promise<ProfileRecord> {
    return this.update(actor, id, { enabled: true });
  }

  disable(actor: Actor, id: string): Promise<ProfileRecord> {
    return this.update(actor, id, { enabled: false });
  }

  changePassword(actor: Actor, id: string, newPassword: string): Promise<ProfileRecord> {
    return this.update(actor, id, { password: newPassword });
  }

  /** Removes the profile with its sessions; returns it as it was. */
  async delete(actor: Actor, id: string): Promise<ProfileRecord> {
    const profile = await this.get(actor, id);
    // With an event to raise, the sessions end first, with it, in one step; the profile's deletion then removes any left.
    const event = this.sessionsEnded(profile, 'deleted');
    if (event) await this.store.sessions.deleteOfProfile(profile.id, event);
    if (!(await this.store.profiles.delete(profile.id))) throw noSuchProfile(id);
    this.events.emit('profile.sessions_ended', { tenant: profile.tenant, profileId: profile.id, reason: 'deleted' });
    return profile;
  }

  /** Ends every login ticket and persistent login of the profile. */
  async endSessions(profile: ProfileRecord, reason: SessionsEndedReason): Promise<void> {
    await this.store.sessions.deleteOfProfile(profile.id, this.sessionsEnded(profile, reason));
    this.events.emit('profile.sessions_ended', { tenant: profile.tenant, profileId: profile.id, reason });
  }

  /** The session.ended event of every session of the profile, when an endpoint takes it. */
  private sessionsEnded(profile: ProfileRecord, reason: SessionsEndedReason) {
    const { tenant, id: profileId } = profile;
    return this.subscriptions?.event('session.ended', tenant, () => ({ tenant, profileId, reason }), this.clock.now());
  }
}
