import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import type { LockoutStore, ProfileRecord, ProfileStore, SessionRecord, SessionStore } from '../store/types.js';
import type { EventData, EventType } from '../webhooks/catalog.js';
import type { Subscriptions } from '../webhooks/subscriptions.js';
import { type Actor, requireAction } from './access-tokens.js';
import type { Clock } from './clock.js';
import { domainError } from './domain-error.js';
import type { Events } from './events.js';
import type { Keyring } from './keyring.js';
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
  /** Which changes raise webhook events (docs/events.md); none without it. */
  subscriptions?: Subscriptions | undefined;
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

/** How long the failed logins of a username with no profile are remembered after the last one. */
export const UNKNOWN_USERNAME_MEMORY_MS = 30 * 24 * 60 * 60 * 1000;

/** What an attempt decided, made known (and slept on) after the account is free for the next one. */
type Outcome = { ticket: TicketView } | { error: unknown; delayMs: number };

export class Logins {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly failureDelayMs: (pastThreshold: number) => number;
  /** Per account (tenant, username): the attempt in flight here; the next waits for it. */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly subscriptions: Subscriptions | undefined;

  constructor(
    private readonly store: {
      profiles: ProfileStore;
      sessions: SessionStore;
      lockouts: LockoutStore;
    },
    private readonly tenants: Tenants,
    private readonly profiles: Profiles,
    private readonly passwords: Passwords,
    private readonly clock: Clock,
    private readonly events: Events,
    private readonly keyring: Keyring,
    options: LoginOptions = {},
  ) {
    this.sleep = options.sleep ?? defaultSleep;
    this.subscriptions = options.subscriptions;
    this.failureDelayMs = options.failureDelayMs ?? defaultFailureDelayMs;
  }

  // ---- authentication --------------------------------------------------------

  /**
   * Checks the password and opens a session (a login ticket). Lockout:
   * every attempt is counted before its password is hashed, atomically in
   * the store, so that of any number of concurrent attempts (on any
   * instance) at most `failedLoginAttemptsBeforeLock` are evaluated: the
   * others are refused (PROFILE_LOCKED) unheard, as is every attempt while
   * the profile is locked. On one instance an account has at most one hash
   * in flight: the next attempt waits, and sees the count the one before
   * left. A wrong password is answered late once the count is past
   * `failedLoginAttemptsBeforeDelay`; the one that reaches the lock
   * threshold locks the profile for `lockTime`. A right password resets the
   * count. An unknown username costs the same hashing and is counted the
   * same way, in the store (parts/lockouts.ts).
   */
  async authenticate(actor: Actor, tenantName: string, username: string, password: string): Promise<TicketView> {
    requireAction(actor, tenantName, 'MANAGE_TICKETS');
    const tenant = await this.tenants.get(tenantName);
    if (!tenant) throw domainError('NO_SUCH_TENANT', `No tenant with name "${tenantName}" found`);
    const account = `${tenantName}\u0000${username}`;
    const outcome = await this.oneAtATime(account, () =>
      this.attempt(tenant.settings, tenantName, username, password, account),
    );
    if ('ticket' in outcome) return outcome.ticket;
    // The delay is slept outside the account's turn: the next attempt need not wait for it.
    if (outcome.delayMs > 0) await this.sleep(outcome.delayMs);
    throw outcome.error;
  }

  /** Runs `f` once the account's attempt before it (on this instance) has settled. */
  private async oneAtATime<T>(account: string, f: () => Promise<T>): Promise<T> {
    const before = this.inFlight.get(account) ?? Promise.resolve();
    const mine = before.then(f, f);
    const settled = mine.catch(() => {});
    this.inFlight.set(account, settled);
    try {
      return await mine;
    } finally {
      if (this.inFlight.get(account) === settled) this.inFlight.delete(account);
    }
  }

  private async attempt(
    settings: TenantSettings,
    tenantName: string,
    username: string,
    password: string,
    account: string,
  ): Promise<Outcome> {
    const tooLong = username.length > MAX_USERNAME_LENGTH || password.length > MAX_PASSWORD_LENGTH;
    const profile = tooLong ? null : await this.store.profiles.getByUsername(tenantName, username);
    const now = this.clock.now();
    const lockAfter = settings.failedLoginAttemptsBeforeLock;
    const lockMs = settings.lockTime * 1000;
    const counted =
      (profile && (await this.store.profiles.recordLoginFailure(profile.id, now, lockAfter, lockMs))) ??
      (await this.store.lockouts.record(
        this.accountKey(account),
        now,
        lockAfter,
        lockMs,
        now + UNKNOWN_USERNAME_MEMORY_MS,
      ));
    const n = counted.failedLoginAttempts;
    // Past the threshold, or locked before this attempt (the attempt that reaches the threshold sets the lock itself).
    const refused =
      (lockAfter > 0 && n > lockAfter) ||
      (counted.lockedUntil !== null && counted.lockedUntil > now && n !== lockAfter);
    const tenant = tenantName;
    const profileId = profile?.id ?? null;
    if (refused) {
      await this.raise('login.failed', tenant, () => ({ tenant, profileId, reason: 'locked' }));
      return { error: locked(username, tenantName, counted.lockedUntil ?? now + lockMs, now), delayMs: 0 };
    }

    const ok = tooLong
      ? await this.passwords.verifyDummy(password, tenantName)
      : await this.passwords.verify(password, profile?.passwordHash ?? null, tenantName);
    if (!ok || !profile) {
      const until = counted.lockedUntil;
      if (until !== null && until > now) {
        // This attempt reached the threshold and set the lock (the ones after it are refused above).
        if (profileId !== null) {
          const lockedUntil = new Date(until).toISOString();
          await this.raise('profile.locked', tenant, () => ({ tenant, profileId, lockedUntil }));
        }
        await this.raise('login.failed', tenant, () => ({ tenant, profileId, reason: 'locked' }));
        return { error: locked(username, tenantName, until, now), delayMs: 0 };
      }
      await this.raise('login.failed', tenant, () => ({ tenant, profileId, reason: 'bad_credentials' }));
      const threshold = settings.failedLoginAttemptsBeforeDelay;
      const past = threshold > 0 ? n - threshold : 0;
      return { error: badCredentials(), delayMs: past > 0 ? this.failureDelayMs(past) : 0 };
    }
    // The lock, checked again after hashing: attempts on another instance may have locked the profile meanwhile.
    const after = await this.store.profiles.get(profile.id);
    const later = this.clock.now();
    if (after?.lockedUntil != null && after.lockedUntil > later && after.failedLoginAttempts > n) {
      await this.raise('login.failed', tenant, () => ({ tenant, profileId, reason: 'locked' }));
      return { error: locked(username, tenantName, after.lockedUntil, later), delayMs: 0 };
    }
    await this.store.profiles.resetLoginFailures(profile.id);
    if (!profile.enabled) {
      await this.raise('login.failed', tenant, () => ({ tenant, profileId, reason: 'disabled' }));
      return { error: disabled(profile), delayMs: 0 };
    }
    try {
      const ticket = await this.openTicket(profile, settings, true);
      await this.raise('login.succeeded', tenant, () => ({ tenant, profileId: profile.id }));
      return { ticket };
    } catch (error) {
      return { error, delayMs: 0 };
    }
  }

  /** A login's outcome as its webhook event (Subscriptions.raise), before the answer. */
  private async raise<K extends EventType>(type: K, tenant: string, data: () => EventData<K>): Promise<void> {
    await this.subscriptions?.raise(type, tenant, data, this.clock.now());
  }

  /** The store key of an account's failed logins when no profile has its username: a keyed digest, never the name. */
  private accountKey(account: string): Buffer {
    return this.keyring.digest('login account', account);
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
      expiresAt: loginExpiry(settings, now, now),
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
    if (await this.store.sessions.delete('login', hash, this.loggedOut(t))) {
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
    const expiresAt = loginExpiry(withDefaults(tenant?.settings ?? {}), found.createdAt, now);
    const touched = await this.store.sessions.touch('login', hash, now, expiresAt);
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
    return this.store.sessions.touch(
      'login',
      hash,
      now,
      loginExpiry(withDefaults(tenant?.settings ?? {}), found.createdAt, now),
    );
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
    await this.store.sessions.delete('persistent', hash, this.loggedOut(login));
  }

  /** The session.ended event of a logout, when an endpoint takes it. */
  private loggedOut(s: SessionRecord) {
    const data = () => ({ tenant: s.tenant, profileId: s.profileId, reason: 'logout' as const });
    return this.subscriptions?.event('session.ended', s.tenant, data, this.clock.now());
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

/**
 * When a login ticket touched at `now` expires: loginTicketMaxAge after its
 * last use (sliding), but never past `sessionMaxLifetime` after its login
 * when the tenant sets one.
 */
function loginExpiry(settings: TenantSettings, createdAt: number, now: number): number {
  const sliding = now + settings.loginTicketMaxAge * 1000;
  const lifetime = settings.sessionMaxLifetime;
  return lifetime > 0 ? Math.min(sliding, createdAt + lifetime * 1000) : sliding;
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
