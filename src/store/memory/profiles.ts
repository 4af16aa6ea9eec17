import { countFailure, patchFields } from '../profile-rules.js';
import type {
  AccessTokenRecord,
  LoginFailure,
  LoginTicketRecord,
  PersistentLoginRecord,
  ProfilePatch,
  ProfileRecord,
} from '../profile-types.js';
import { ExpiryHeap } from './expiry-heap.js';

/** What login tickets and persistent logins have in common: the sessions of a profile. */
interface Session {
  id: Buffer;
  tenant: string;
  profileId: string;
  expiresAt: number;
}

interface Entry<T> {
  record: T;
  /** The expiry of this record's one current entry in the heap; never later than `record.expiresAt`. */
  scheduledAt: number;
}

/**
 * Sessions of one kind, with the secondary indexes the profile surface needs:
 * by profile (to end a profile's sessions), by tenant (tenant deletion) and
 * an expiry heap (the purge). A sliding expiry moves `expiresAt` later without
 * touching the heap: when the old heap entry comes due, the purge re-schedules
 * it at the record's current expiry instead of removing it, so records leave
 * in the order of their real expiry and the heap holds one entry per record.
 */
class Sessions<T extends Session> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly byProfile = new Map<string, Set<string>>();
  private readonly byTenant = new Map<string, Set<string>>();
  private readonly expiry = new ExpiryHeap();

  constructor(private readonly copy: (record: T) => T) {}

  insert(record: T): void {
    const key = keyOf(record.id);
    if (this.entries.has(key)) throw new Error('a session with this id already exists');
    this.entries.set(key, { record: this.copy(record), scheduledAt: record.expiresAt });
    addTo(this.byProfile, record.profileId, key);
    addTo(this.byTenant, record.tenant, key);
    this.expiry.push(record.expiresAt, key);
  }

  /** The live record itself (not a copy), for the caller to read or change. */
  live(id: Buffer, now: number): T | undefined {
    const record = this.entries.get(keyOf(id))?.record;
    return record && record.expiresAt > now ? record : undefined;
  }

  get(id: Buffer, now: number): T | null {
    const record = this.live(id, now);
    return record ? this.copy(record) : null;
  }

  /** Moves the expiry of a stored record; the heap entry only moves when it would come due too late. */
  setExpiry(record: T, expiresAt: number): void {
    record.expiresAt = expiresAt;
    const key = keyOf(record.id);
    const entry = this.entries.get(key);
    if (entry && expiresAt < entry.scheduledAt) {
      entry.scheduledAt = expiresAt;
      this.expiry.push(expiresAt, key);
    }
  }

  delete(id: Buffer): boolean {
    return this.remove(keyOf(id));
  }

  deleteOfProfile(profileId: string): number {
    let n = 0;
    for (const key of [...(this.byProfile.get(profileId) ?? [])]) if (this.remove(key)) n += 1;
    return n;
  }

  deleteOfTenant(tenant: string): number {
    let n = 0;
    for (const key of [...(this.byTenant.get(tenant) ?? [])]) if (this.remove(key)) n += 1;
    return n;
  }

  purge(now: number, limit: number): number {
    let removed = 0;
    while (removed < limit) {
      const due = this.expiry.popDueEntry(now);
      if (!due) break;
      const entry = this.entries.get(due.key);
      // Gone already, or a heap entry superseded by an earlier one.
      if (!entry || entry.scheduledAt !== due.expiresAt) continue;
      if (entry.record.expiresAt <= now) {
        this.remove(due.key);
        removed += 1;
      } else {
        // Slid since it was scheduled: due again at its current expiry.
        entry.scheduledAt = entry.record.expiresAt;
        this.expiry.push(entry.scheduledAt, due.key);
      }
    }
    return removed;
  }

  private remove(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    removeFrom(this.byProfile, entry.record.profileId, key);
    removeFrom(this.byTenant, entry.record.tenant, key);
    return true;
  }
}

/**
 * The profile side of the memory store (profile-types.ts): profiles with a
 * (tenant, username) index, login tickets and persistent logins with their
 * indexes and expiry heaps, access tokens and meta values. Like the rest of
 * the memory store, every method runs to completion synchronously, so each
 * one is atomic by construction. Records go in and come out as copies.
 */
export class MemoryProfiles {
  private readonly profiles = new Map<string, ProfileRecord>();
  /** tenant -> username -> profile id */
  private readonly usernames = new Map<string, Map<string, string>>();
  readonly loginTickets = new Sessions<LoginTicketRecord>(copyLoginTicket);
  readonly persistentLogins = new Sessions<PersistentLoginRecord>(copyPersistentLogin);
  private readonly accessTokens = new Map<string, AccessTokenRecord>();
  private readonly meta = new Map<string, string>();

  /** Removes the tenant's profiles and sessions (the opaque tickets are the store's). */
  deleteTenant(name: string): void {
    for (const id of this.usernames.get(name)?.values() ?? []) this.profiles.delete(id);
    this.usernames.delete(name);
    this.loginTickets.deleteOfTenant(name);
    this.persistentLogins.deleteOfTenant(name);
  }

  createProfile(profile: ProfileRecord): 'created' | 'exists' {
    let names = this.usernames.get(profile.tenant);
    if (names?.has(profile.username)) return 'exists';
    if (this.profiles.has(profile.id)) throw new Error(`profile id ${profile.id} already exists`);
    if (!names) {
      names = new Map();
      this.usernames.set(profile.tenant, names);
    }
    names.set(profile.username, profile.id);
    this.profiles.set(profile.id, structuredClone(profile));
    return 'created';
  }

  getProfile(id: string): ProfileRecord | null {
    const p = this.profiles.get(id);
    return p ? structuredClone(p) : null;
  }

  getProfileByUsername(tenant: string, username: string): ProfileRecord | null {
    const id = this.usernames.get(tenant)?.get(username);
    return id === undefined ? null : this.getProfile(id);
  }

  listProfiles(tenant: string, offset: number, limit: number): ProfileRecord[] {
    const names = this.usernames.get(tenant);
    if (!names) return [];
    return [...names.keys()]
      .sort(byUtf8)
      .slice(offset, offset + limit)
      .map((username) => structuredClone(this.profiles.get(names.get(username) as string) as ProfileRecord));
  }

  countProfiles(tenant: string): number {
    return this.usernames.get(tenant)?.size ?? 0;
  }

  updateProfile(id: string, patch: ProfilePatch, now: number): ProfileRecord | 'exists' | null {
    const p = this.profiles.get(id);
    if (!p) return null;
    const names = this.usernames.get(p.tenant) as Map<string, string>;
    const username = patch.username ?? p.username;
    if (username !== p.username) {
      if (names.has(username)) return 'exists';
      names.delete(p.username);
      names.set(username, id);
    }
    Object.assign(p, structuredClone(patchFields(patch)), { username, lastModified: now });
    return structuredClone(p);
  }

  deleteProfile(id: string): boolean {
    const p = this.profiles.get(id);
    // Sessions go even when the profile is gone already: nothing may outlive it.
    this.loginTickets.deleteOfProfile(id);
    this.persistentLogins.deleteOfProfile(id);
    if (!p) return false;
    this.profiles.delete(id);
    this.usernames.get(p.tenant)?.delete(p.username);
    return true;
  }

  recordLoginFailure(id: string, now: number, lockAfter: number, lockMs: number): LoginFailure | null {
    const p = this.profiles.get(id);
    if (!p) return null;
    Object.assign(p, countFailure(p, now, lockAfter, lockMs));
    return { failedLoginAttempts: p.failedLoginAttempts, lockedUntil: p.lockedUntil };
  }

  resetLoginFailures(id: string): void {
    const p = this.profiles.get(id);
    if (!p) return;
    p.failedLoginAttempts = 0;
    p.lockedUntil = null;
  }

  touchLoginTicket(id: Buffer, now: number, maxAgeMs: number): LoginTicketRecord | null {
    const t = this.loginTickets.live(id, now);
    if (!t) return null;
    t.lastRequestTime = now;
    this.loginTickets.setExpiry(t, now + maxAgeMs);
    return copyLoginTicket(t);
  }

  refreshPersistentLogin(id: Buffer, token: Buffer, now: number, expiresAt: number): PersistentLoginRecord | null {
    const login = this.persistentLogins.live(id, now);
    if (!login) return null;
    login.token = Buffer.from(token);
    login.timestamp = now;
    this.persistentLogins.setExpiry(login, expiresAt);
    return copyPersistentLogin(login);
  }

  createAccessToken(token: AccessTokenRecord): 'created' | 'exists' {
    const key = keyOf(token.id);
    if (this.accessTokens.has(key)) return 'exists';
    this.accessTokens.set(key, copyAccessToken(token));
    return 'created';
  }

  getAccessToken(id: Buffer): AccessTokenRecord | null {
    const t = this.accessTokens.get(keyOf(id));
    return t ? copyAccessToken(t) : null;
  }

  /** Oldest first (createdOn, then id), as the SQLite store lists them. */
  listAccessTokens(): AccessTokenRecord[] {
    return [...this.accessTokens.values()]
      .sort((a, b) => a.createdOn - b.createdOn || Buffer.compare(a.id, b.id))
      .map(copyAccessToken);
  }

  deleteAccessToken(id: Buffer): boolean {
    return this.accessTokens.delete(keyOf(id));
  }

  getMeta(key: string): string | null {
    return this.meta.get(key) ?? null;
  }

  putMetaIfAbsent(key: string, value: string): string {
    const existing = this.meta.get(key);
    if (existing !== undefined) return existing;
    this.meta.set(key, value);
    return value;
  }
}

function keyOf(id: Buffer): string {
  return id.toString('base64');
}

function addTo(index: Map<string, Set<string>>, at: string, key: string): void {
  const set = index.get(at);
  if (set) set.add(key);
  else index.set(at, new Set([key]));
}

function removeFrom(index: Map<string, Set<string>>, at: string, key: string): void {
  const set = index.get(at);
  if (!set) return;
  set.delete(key);
  if (set.size === 0) index.delete(at);
}

/** Byte order of the UTF-8 encodings: SQLite's BINARY collation, PostgreSQL's "C". */
function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function copyLoginTicket(t: LoginTicketRecord): LoginTicketRecord {
  return {
    id: Buffer.from(t.id),
    tenant: t.tenant,
    profileId: t.profileId,
    lastRequestTime: t.lastRequestTime,
    expiresAt: t.expiresAt,
  };
}

function copyPersistentLogin(l: PersistentLoginRecord): PersistentLoginRecord {
  return {
    id: Buffer.from(l.id),
    tenant: l.tenant,
    profileId: l.profileId,
    token: Buffer.from(l.token),
    timestamp: l.timestamp,
    expiresAt: l.expiresAt,
  };
}

function copyAccessToken(t: AccessTokenRecord): AccessTokenRecord {
  return {
    id: Buffer.from(t.id),
    idPrefix: t.idPrefix,
    application: t.application,
    master: t.master,
    tenantPermissions: t.tenantPermissions.map((p) => ({ tenant: p.tenant, allowedActions: [...p.allowedActions] })),
    expiresOn: t.expiresOn,
    createdOn: t.createdOn,
  };
}
