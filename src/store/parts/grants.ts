import type { OutboxEvent } from './outbox.js';

export interface OzGrantRecord {
  /** Random, URL-safe. */
  id: string;
  tenant: string;
  app: string;
  /** The profile id. */
  user: string;
  scope: string[];
  exp: number;
  /** SHA-256 of the session (profile login ticket id) the grant was made from; null for grants made otherwise. */
  session: Buffer | null;
  createdOn: number;
}

/**
 * Oz grants (docs/oz.md): this app may act for this user. A grant is checked
 * against its session and profile when it is used (the session must be
 * live, the profile enabled), so invalidating a session or disabling a
 * profile needs no cascade here.
 */
export interface GrantStore {
  /** Stores the grant; `event` (docs/events.md), when given, goes to the outbox in the same atomic step. */
  create(grant: OzGrantRecord, event?: OutboxEvent): Promise<void>;
  /** The grant unless it expired (`exp <= now`) or was revoked. */
  get(id: string, now: number): Promise<OzGrantRecord | null>;
  /** Live grants filtered by app and/or user, newest first, at most `limit`. */
  list(filter: { app?: string; user?: string }, now: number, limit: number): Promise<OzGrantRecord[]>;
  /** Revokes the grant; false when there was none. `event` is written with it, only when there was one. */
  delete(id: string, event?: OutboxEvent): Promise<boolean>;
  /** Revokes every grant of the profile; returns how many. */
  deleteOfUser(user: string): Promise<number>;
  /** Up to `limit` expired grants through the expiry index; how many. */
  purge(now: number, limit: number): Promise<number>;
}
