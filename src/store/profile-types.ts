/**
 * Store records and methods of the profile surface (profile.md) and of the
 * administration that shares them (admin.md): profiles with their lockout
 * counters, login tickets with sliding expiry, persistent logins, access
 * tokens and a small key-value area for process-wide secrets. Same
 * conventions as `types.ts`: times are epoch ms from the caller, a record
 * with `expiresAt <= now` is dead for every read and write, secrets given to
 * clients are stored hashed (SHA-256, 32-byte Buffers).
 */

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

/** Fields `updateProfile` may change; absent fields keep their value. */
export type ProfilePatch = Partial<
  Pick<ProfileRecord, 'username' | 'email' | 'passwordHash' | 'enabled' | 'verified' | 'roles' | 'attributes'>
>;

export interface LoginFailure {
  /** Failed attempts counted after this one. */
  failedLoginAttempts: number;
  /** Set when this failure locked the profile (or it was already locked). */
  lockedUntil: number | null;
}

export interface LoginTicketRecord {
  /** SHA-256 of the ticket id (a UUID v4) given to the client. */
  id: Buffer;
  tenant: string;
  profileId: string;
  lastRequestTime: number;
  /** `lastRequestTime` + the tenant's loginTicketMaxAge at the last touch. */
  expiresAt: number;
}

export interface PersistentLoginRecord {
  /** SHA-256 of the persistent login id given to the client. */
  id: Buffer;
  tenant: string;
  profileId: string;
  /** The remember-me token, sealed by the core under a key derived from the id. */
  token: Buffer;
  timestamp: number;
  expiresAt: number;
}

export interface TenantPermission {
  /** A tenant name or `*`. */
  tenant: string;
  /** Action names (CREATE_TENANT, ..., MANAGE_TICKETS) or `*`. */
  allowedActions: string[];
}

export interface AccessTokenRecord {
  /** SHA-256 of the token id (a UUID v4). */
  id: Buffer;
  /** The first 8 characters of the id, to tell tokens apart in listings. */
  idPrefix: string;
  application: string;
  master: boolean;
  tenantPermissions: TenantPermission[];
  /** Epoch ms; null when it never expires. Expired tokens are still returned (the check reports them). */
  expiresOn: number | null;
  createdOn: number;
}

/**
 * The profile part of `Store` (types.ts). A tenant's profiles and sessions go
 * with the tenant: `Store.deleteTenant`.
 */
export interface ProfileStore {
  // ---- profiles ------------------------------------------------------------

  /**
   * Inserts the profile unless its tenant already has one with the same
   * username. Atomic: of concurrent creates with one username in one tenant,
   * exactly one returns `created`.
   */
  createProfile(profile: ProfileRecord): Promise<'created' | 'exists'>;
  getProfile(id: string): Promise<ProfileRecord | null>;
  getProfileByUsername(tenant: string, username: string): Promise<ProfileRecord | null>;
  /** Profiles of a tenant ordered by username, for administration. */
  listProfiles(tenant: string, offset: number, limit: number): Promise<ProfileRecord[]>;
  countProfiles(tenant: string): Promise<number>;
  /**
   * Applies the patch and sets lastModified = now; `exists` when a new
   * username is taken in the tenant, null when there is no such profile.
   */
  updateProfile(id: string, patch: ProfilePatch, now: number): Promise<ProfileRecord | 'exists' | null>;
  /** Removes the profile with its login tickets and persistent logins, atomically. */
  deleteProfile(id: string): Promise<boolean>;

  /**
   * Counts one wrong password, atomically (N concurrent calls add exactly N).
   * A lock that ended at or before `now` is cleared (count back to 0) before
   * counting. When the count reaches `lockAfter` (> 0), the profile is locked
   * until now + lockMs. Null when there is no such profile.
   */
  recordLoginFailure(id: string, now: number, lockAfter: number, lockMs: number): Promise<LoginFailure | null>;
  /** Clears the failure count and any lock (a successful login, an admin unlock). */
  resetLoginFailures(id: string): Promise<void>;

  // ---- login tickets (profile sessions) -------------------------------------

  createLoginTicket(ticket: LoginTicketRecord): Promise<void>;
  /** The live ticket without moving its expiry. */
  getLoginTicket(id: Buffer, now: number): Promise<LoginTicketRecord | null>;
  /**
   * Sliding expiry, atomically: when the ticket is live, sets lastRequestTime
   * = now and expiresAt = now + maxAgeMs and returns it; otherwise null.
   */
  touchLoginTicket(id: Buffer, now: number, maxAgeMs: number): Promise<LoginTicketRecord | null>;
  deleteLoginTicket(id: Buffer): Promise<boolean>;
  /** Ends every login ticket of the profile; returns how many. */
  deleteLoginTicketsOfProfile(profileId: string): Promise<number>;
  /** As purgeTickets: up to `limit` expired login tickets through the expiry index. */
  purgeLoginTickets(now: number, limit: number): Promise<number>;

  // ---- persistent logins ------------------------------------------------------

  createPersistentLogin(login: PersistentLoginRecord): Promise<void>;
  getPersistentLogin(id: Buffer, now: number): Promise<PersistentLoginRecord | null>;
  /** Replaces token, timestamp and expiresAt of a live persistent login; null when there is none. */
  refreshPersistentLogin(
    id: Buffer,
    token: Buffer,
    now: number,
    expiresAt: number,
  ): Promise<PersistentLoginRecord | null>;
  deletePersistentLogin(id: Buffer): Promise<boolean>;
  deletePersistentLoginsOfProfile(profileId: string): Promise<number>;
  purgePersistentLogins(now: number, limit: number): Promise<number>;

  // ---- access tokens ------------------------------------------------------------

  /** Inserts the token; `exists` when one with this id already exists. */
  createAccessToken(token: AccessTokenRecord): Promise<'created' | 'exists'>;
  getAccessToken(id: Buffer): Promise<AccessTokenRecord | null>;
  listAccessTokens(): Promise<AccessTokenRecord[]>;
  deleteAccessToken(id: Buffer): Promise<boolean>;

  // ---- process-wide values (the master token's creation, generated secrets) ----

  getMeta(key: string): Promise<string | null>;
  /**
   * Sets the value only when the key has none; returns the value the key
   * holds afterwards. Of concurrent calls from several instances exactly one
   * value wins and every caller gets that value back.
   */
  putMetaIfAbsent(key: string, value: string): Promise<string>;
}
