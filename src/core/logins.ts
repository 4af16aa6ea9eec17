import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import type { LoginFailure, ProfileRecord, ProfileStore, SessionRecord, SessionStore } from '../store/types.js';
import { type Actor, requireAction } from './access-tokens.js';
import type { Clock } from './clock.js';
import { domainError } from './domain-error.js';
import type { Events } from './events.js';
import { MAX_PASSWORD_LENGTH, type Passwords } from './passwords.js';
import { MAX_USERNAME_LENGTH, noSuchProfile, type Profiles } from './profiles.js';
import { type TenantSettings, withDefaults } from './tenant-settings.js';
import type { Tenants } from './tenants.js';

/**
 * Profile sessions (docs/profile.md): login tickets with sliding expiry,
 * persistent logins ("remember me"), and the lockout that slows and then
 * stops password guessing. Ticket and persistent-login ids are random UUIDs
 * given to the client once; the store keeps their SHA-256, and a persistent
 * login's token sealed under a key derived from its id.
 */

/** Longest ticket or persistent-login id looked up; longer ones are unknown without asking the store. */
export const MAX_LOGIN_ID_LENGTH = 200;

export const loginIdHash = (id: string): Buffer => createHash('sha256').update(id, 'utf8').digest();

const TOKEN_KEY_INFO = Buffer.from('ticketd persistent login token v1');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

function tokenKey(id: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(id, 'utf8'), Buffer.alloc(0), TOKEN_KEY_INFO, 32));
}

/**
 * AES-256-GCM under a key derived (HKDF-SHA256) from the persistent login's
 * id. A refresh seals a new token under the same key, so every seal draws a
 * random nonce: nonce || ciphertext || tag.
 */
export function sealLoginToken(id: string, token: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', tokenKey(id), nonce);
  const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

export function openLoginToken(id: string, sealed: Buffer): string {
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', tokenKey(id), nonce);
  decipher.setAuthTag(tag);
  return (
    decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES), undefined, 'utf8') + decipher.final('utf8')
  );
}

/** A login ticket as answered to clients: the seed's keys in the seed's order. */
export interface TicketView {
  tenant: string;
  profileId: string;
  lastRequestTime: number;
  id: string;
}

export interface PersistentLoginView {
  id: string;
  tenant: string;
  profileId: string;
  token: string;
  timestamp: number;
}

export interface LoginOptions {
  /** Waits without blocking the event loop; tests inject one that records instead of waiting. */
  sleep?: (ms: number) => Promise<void>;
  /** The delay before answering a wrong password, given how many failures are past the delay threshold (>= 1). */
  failureDelayMs?: (pastThreshold: number) => number;
}

/** One second per failure past the threshold, at most ten. */
export const defaultFailureDelayMs = (pastThreshold: number): number => Math.min(pastThreshold, 10) * 1000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const noSuchTicket = (id: string) => domainError('NO_SUCH_TICKET', `No ticket with ID "${id}" found`);
const noSuchLogin = (id: string) =>
  domainError('NO_SUCH_PERSISTENT_LOGIN', `No persistent login with ID "${id}" found`);
const badCredentials = () => domainError('BAD_CREDENTIALS', 'Invalid username and/or password');
const disabled = (p: ProfileRecord) =>
  domainError('DISABLED_PROFILE', `Profile "${p.id}" of tenant "${p.tenant}" is disabled`);

function locked(username: string, tenant: string, until: number, now: number) {
  return domainError(
    'PROFILE_LOCKED',
    `Profile "${username}" of tenant "${tenant}" is locked until ${new Date(until).toISOString()} after too many failed login attempts`,
    { retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)) },
  );
}

/**
 * Failed-login counters for usernames that do not exist, kept in this
 * process's memory (at most `max` usernames, the least recently failed are
 * forgotten first). They make an unknown username slow down and lock exactly
 * as a known one does, so that neither the time nor the answer tells them apart.
 */
export class UnknownUserFailures {
  private readonly entries = new Map<string, { count: number; lockedUntil: number | null }>();

  constructor(private readonly max = 10_000) {}

  lockedUntil(key: string, now: number): number | null {
    const e = this.entries.get(key);
    return e?.lockedUntil != null && e.lockedUntil > now ? e.lockedUntil : null;
  }

  record(key: string, now: number, lockAfter: number, lockMs: number): LoginFailure {
    const e = this.entries.get(key) ?? { count: 0, lockedUntil: null };
    this.entries.delete(key);
    if (e.lockedUntil !== null && e.lockedUntil <= now) {
      e.count = 0;
      e.lockedUntil = null;
    }
    e.count += 1;
    if (lockAfter > 0 && e.count >= lockAfter && e.lockedUntil === null) e.lockedUntil = now + lockMs;
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, e);
    return { failedLoginAttempts: e.count, lockedUntil: e.lockedUntil };
  }
}

export class Logins {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly failureDelayMs: (pastThreshold: number) => number;
  private readonly unknownUsers = new UnknownUserFailures();

  constructor(
    private readonly store: { profiles: ProfileStore; sessions: SessionStore },
    private readonly tenants: Tenants,
    private readonly profiles: Profiles,
    private readonly passwords: Passwords,
    private readonly clock: Clock,
    private readonly events: Events,
    options: LoginOptions = {},
  ) {
    this.sleep = options.sleep ?? defaultSleep;
    this.failureDelayMs = options.failureDelayMs ?? defaultFailureDelayMs;
  }

  // ---- authentication --------------------------------------------------------

  /**
   * Checks the password and opens a session (a login ticket). Lockout:
   * a locked profile is refused (PROFILE_LOCKED) whatever the password;
   * a wrong password is counted, answered late once the count is past
   * `failedLoginAttemptsBeforeDelay`, and locks the profile for `lockTime`
   * when it reaches `failedLoginAttemptsBeforeLock`. A right password resets
   * the count. An unknown username costs the same hashing and is counted the
   * same way, in memory.
   */
  async authenticate(actor: Actor, tenantName: string, username: string, password: string): Promise<TicketView> {
    requireAction(actor, tenantName, 'MANAGE_TICKETS');
    const tenant = await this.tenants.get(tenantName);
    if (!tenant) throw domainError('NO_SUCH_TENANT', `No tenant with name "${tenantName}" found`);
    const settings = tenant.settings;
    const tooLong = username.length > MAX_USERNAME_LENGTH || password.length > MAX_PASSWORD_LENGTH;
    const profile = tooLong ? null : await this.store.profiles.getByUsername(tenantName, username);
    const key = `${tenantName}\u0000${username}`;

    const start = this.clock.now();
    const lockedUntil = profile ? profile.lockedUntil : this.unknownUsers.lockedUntil(key, start);
    if (lockedUntil !== null && lockedUntil > start) throw locked(username, tenantName, lockedUntil, start);

    const ok = tooLong
      ? await this.passwords.verifyDummy(password)
      : await this.passwords.verify(password, profile?.passwordHash ?? null);
    if (!ok || !profile) return this.refuse(profile, key, username, tenantName, settings);

    if (!profile.enabled) throw disabled(profile);
    if (profile.failedLoginAttempts > 0 || profile.lockedUntil !== null)
      await this.store.profiles.resetLoginFailures(profile.id);
    return this.openTicket(profile, settings, true);
  }

  private async refuse(
    profile: ProfileRecord | null,
    key: string,
    username: string,
    tenant: string,
    settings: TenantSettings,
  ): Promise<never> {
    const now = this.clock.now();
    const lockAfter = settings.failedLoginAttemptsBeforeLock;
    const lockMs = settings.lockTime * 1000;
    const failure =
      (profile && (await this.store.profiles.recordLoginFailure(profile.id, now, lockAfter, lockMs))) ??
      this.unknownUsers.record(key, now, lockAfter, lockMs);
    if (failure.lockedUntil !== null && failure.lockedUntil > now) {
      throw locked(username, tenant, failure.lockedUntil, now);
    }
    const threshold = settings.failedLoginAttemptsBeforeDelay;
    const past = threshold > 0 ? failure.failedLoginAttempts - threshold : 0;
    if (past > 0) await this.sleep(this.failureDelayMs(past));
    throw badCredentials();
  }

  /** A session for a profile authenticated by other means (Crafter's ticket/create). */
  async createTicket(actor: Actor, profileId: string): Promise<TicketView> {
    const profile = await this.sessionProfile(actor, profileId);
    const tenant = await this.tenants.get(profile.tenant);
    return this.openTicket(profile, withDefaults(tenant?.settings ?? {}), false);
  }

  /**
   * Stores a new login ticket, then reads the profile again: when it was
   * disabled or deleted meanwhile — or, for a password login, given a new
   * password — its sessions may have been ended just before this ticket
   * existed, so the ticket is taken back.
   */
  private async openTicket(profile: ProfileRecord, settings: TenantSettings, byPassword: boolean): Promise<TicketView> {
    const id = randomUUID();
    const now = this.clock.now();
    const record: SessionRecord = {
      kind: 'login',
      id: loginIdHash(id),
      tenant: profile.tenant,
      profileId: profile.id,
      token: null,
      createdAt: now,
      touchedAt: now,
      expiresAt: now + settings.loginTicketMaxAge * 1000,
    };
    await this.store.sessions.create(record);
    const after = await this.store.profiles.get(profile.id);
    if (!after?.enabled || (byPassword && after.passwordHash !== profile.passwordHash)) {
      await this.store.sessions.delete('login', record.id);
      if (after && !after.enabled) throw disabled(after);
      throw byPassword ? badCredentials() : noSuchProfile(profile.id);
    }
    this.events.emit('login.created', { tenant: profile.tenant, profileId: profile.id });
    return { tenant: record.tenant, profileId: record.profileId, lastRequestTime: now, id };
  }

  /** The ticket, its expiry moved to now + loginTicketMaxAge (sliding expiry). */
  async getTicket(actor: Actor, id: string): Promise<TicketView> {
    const t = await this.touch(actor, id, 'MANAGE_TICKETS');
    return { tenant: t.tenant, profileId: t.profileId, lastRequestTime: t.touchedAt, id };
  }

  /** Ends a session; an unknown or expired ticket is a no-op. */
  async invalidateTicket(actor: Actor, id: string): Promise<void> {
    if (id.length > MAX_LOGIN_ID_LENGTH) return;
    const hash = loginIdHash(id);
    const t = await this.store.sessions.get('login', hash, this.clock.now());
    if (!t) return;
    requireAction(actor, t.tenant, 'MANAGE_TICKETS');
    if (await this.store.sessions.delete('login', hash)) {
      this.events.emit('login.invalidated', { tenant: t.tenant, profileId: t.profileId });
    }
  }

  /** The profile a live ticket belongs to; refreshes the ticket. Needs MANAGE_TICKETS and MANAGE_PROFILES. */
  async profileByTicket(actor: Actor, ticketId: string): Promise<ProfileRecord> {
    const t = await this.touch(actor, ticketId, 'MANAGE_TICKETS', 'MANAGE_PROFILES');
    const profile = await this.store.profiles.get(t.profileId);
    if (!profile) throw noSuchTicket(ticketId);
    return profile;
  }

  private async touch(
    actor: Actor,
    id: string,
    ...actions: ('MANAGE_TICKETS' | 'MANAGE_PROFILES')[]
  ): Promise<SessionRecord> {
    if (id.length > MAX_LOGIN_ID_LENGTH) throw noSuchTicket(id);
    const hash = loginIdHash(id);
    const now = this.clock.now();
    const found = await this.store.sessions.get('login', hash, now);
    if (!found) throw noSuchTicket(id);
    for (const action of actions) requireAction(actor, found.tenant, action);
    const tenant = await this.tenants.get(found.tenant);
    const maxAge = (tenant?.settings.loginTicketMaxAge ?? withDefaults({}).loginTicketMaxAge) * 1000;
    const touched = await this.store.sessions.touch('login', hash, now, now + maxAge);
    if (!touched) throw noSuchTicket(id);
    return touched;
  }

  /**
   * A live session (login ticket) by the hash of its id, for the Oz
   * surface, which proves its callers by other means than an access token.
   * `slide` moves its expiry to now + loginTicketMaxAge, as a profile
   * request does; null when it is unknown, expired or invalidated.
   */
  async session(hash: Buffer, slide: boolean): Promise<SessionRecord | null> {
    const now = this.clock.now();
    const found = await this.store.sessions.get('login', hash, now);
    if (!found || !slide) return found;
    const tenant = await this.tenants.get(found.tenant);
    const maxAge = (tenant?.settings.loginTicketMaxAge ?? withDefaults({}).loginTicketMaxAge) * 1000;
    return this.store.sessions.touch('login', hash, now, now + maxAge);
  }

  // ---- persistent logins ---------------------------------------------------------

  async createPersistentLogin(actor: Actor, profileId: string): Promise<PersistentLoginView> {
    const profile = await this.sessionProfile(actor, profileId);
    const tenant = await this.tenants.get(profile.tenant);
    const maxAge = withDefaults(tenant?.settings ?? {}).persistentLoginMaxAge * 1000;
    const id = randomUUID();
    const token = randomUUID();
    const now = this.clock.now();
    const record: SessionRecord = {
      kind: 'persistent',
      id: loginIdHash(id),
      tenant: profile.tenant,
      profileId: profile.id,
      token: sealLoginToken(id, token),
      createdAt: now,
      touchedAt: now,
      expiresAt: now + maxAge,
    };
    await this.store.sessions.create(record);
    const after = await this.store.profiles.get(profile.id);
    if (!after?.enabled) {
      await this.store.sessions.delete('persistent', record.id);
      throw after ? disabled(after) : noSuchProfile(profileId);
    }
    return { id, tenant: record.tenant, profileId: record.profileId, token, timestamp: now };
  }

  async getPersistentLogin(actor: Actor, id: string): Promise<PersistentLoginView> {
    const login = await this.findLogin(actor, id);
    return loginView(id, login);
  }

  /** A new token and timestamp; the login then lives persistentLoginMaxAge from now. */
  async refreshPersistentLogin(actor: Actor, id: string): Promise<PersistentLoginView> {
    const login = await this.findLogin(actor, id);
    const tenant = await this.tenants.get(login.tenant);
    const maxAge = withDefaults(tenant?.settings ?? {}).persistentLoginMaxAge * 1000;
    const token = randomUUID();
    const now = this.clock.now();
    const refreshed = await this.store.sessions.touch(
      'persistent',
      login.id,
      now,
      now + maxAge,
      sealLoginToken(id, token),
    );
    if (!refreshed) throw noSuchLogin(id);
    return { id, tenant: refreshed.tenant, profileId: refreshed.profileId, token, timestamp: refreshed.touchedAt };
  }

  /** Removes a persistent login; an unknown or expired one is a no-op. */
  async deletePersistentLogin(actor: Actor, id: string): Promise<void> {
    if (id.length > MAX_LOGIN_ID_LENGTH) return;
    const hash = loginIdHash(id);
    const login = await this.store.sessions.get('persistent', hash, this.clock.now());
    if (!login) return;
    requireAction(actor, login.tenant, 'MANAGE_TICKETS');
    await this.store.sessions.delete('persistent', hash);
  }

  private async findLogin(actor: Actor, id: string): Promise<SessionRecord> {
    if (id.length > MAX_LOGIN_ID_LENGTH) throw noSuchLogin(id);
    const login = await this.store.sessions.get('persistent', loginIdHash(id), this.clock.now());
    if (!login) throw noSuchLogin(id);
    requireAction(actor, login.tenant, 'MANAGE_TICKETS');
    return login;
  }

  /** The profile a session is opened for: it exists, the actor may manage its tickets, it is enabled. */
  private async sessionProfile(actor: Actor, profileId: string): Promise<ProfileRecord> {
    const profile = await this.profiles.find(profileId);
    if (!profile) throw noSuchProfile(profileId);
    requireAction(actor, profile.tenant, 'MANAGE_TICKETS');
    if (!profile.enabled) throw disabled(profile);
    return profile;
  }
}

function loginView(id: string, login: SessionRecord): PersistentLoginView {
  return {
    id,
    tenant: login.tenant,
    profileId: login.profileId,
    token: openLoginToken(id, login.token ?? Buffer.alloc(0)),
    timestamp: login.touchedAt,
  };
}
