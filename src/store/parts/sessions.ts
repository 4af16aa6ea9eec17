import type { OutboxEvent } from './outbox.js';
/**
 * The kinds of profile session: a login ticket (Crafter's Ticket: sliding
 * expiry, `loginTicketMaxAge` after its last request) and a persistent login
 * ("remember me": a token, `persistentLoginMaxAge` after its last refresh).
 */
export type SessionKind = 'login' | 'persistent';

export interface SessionRecord {
  kind: SessionKind;
  /** SHA-256 of the id given to the client (a UUID v4). */
  id: Buffer;
  tenant: string;
  profileId: string;
  /** A persistent login's remember-me token, sealed by the core under a key derived from the id; null for login tickets. */
  token: Buffer | null;
  createdAt: number;
  /** The last request (login ticket: `lastRequestTime`) or refresh (persistent login: `timestamp`). */
  touchedAt: number;
  /** Epoch ms after which the session is dead. */
  expiresAt: number;
}

/**
 * Profile sessions of both kinds. Ids are unique across kinds, and every
 * read and write names the kind, so that an id of one kind is unknown as the
 * other. A profile's sessions go with it (`ProfileStore.delete`), a tenant's
 * with the tenant (`Store.deleteTenant`).
 */
export interface SessionStore {
  create(session: SessionRecord): Promise<void>;
  /** The live session without moving its expiry. */
  get(kind: SessionKind, id: Buffer, now: number): Promise<SessionRecord | null>;
  /**
   * Sliding expiry and refresh, atomically: when the session is live, sets
   * touchedAt = now, the new expiresAt and, when given, a new token, and
   * returns it; otherwise null (a dead session stays dead).
   */
  touch(kind: SessionKind, id: Buffer, now: number, expiresAt: number, token?: Buffer): Promise<SessionRecord | null>;
  /** Ends the session; false when there was none. `event` (docs/events.md) is written with it, only when there was one. */
  delete(kind: SessionKind, id: Buffer, event?: OutboxEvent): Promise<boolean>;
  /** Ends every session of the profile, of both kinds; returns how many. `event`, when given, is written with it, always. */
  deleteOfProfile(profileId: string, event?: OutboxEvent): Promise<number>;
  /** Up to `limit` expired sessions, oldest expiry first, through the expiry index; how many. */
  purge(now: number, limit: number): Promise<number>;
}
