/**
 * Store records and methods of the Oz surface (oz.md): apps, grants and
 * Hawk nonces. Same conventions as `types.ts`: times are epoch ms from the
 * caller, a record with `exp`/`expiresAt <= now` is dead for every read.
 * A grant is checked against its session and profile when it is used (the
 * session's login ticket must be live, the profile enabled), so invalidating
 * a session or disabling a profile needs no cascade here.
 */

export interface OzAppRecord {
  /** The app id, e.g. `com.example.mymylet` (Hawk credentials id). */
  id: string;
  tenant: string;
  /** The Hawk key (at least 32 characters). Backends may store it sealed; they return it as given. */
  key: string;
  algorithm: 'sha256';
  scope: string[];
  /** May this app reissue tickets to other apps (`issueTo`)? */
  delegate: boolean;
  /** Profile attributes copied into the user ticket's public `ext`. */
  extAttributes: string[];
  createdOn: number;
}

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

/** The Oz part of `Store` (types.ts). */
export interface OzStore {
  // ---- apps -----------------------------------------------------------------

  /** Inserts the app; `exists` when the id is taken (ids are global, not per tenant). */
  createApp(app: OzAppRecord): Promise<'created' | 'exists'>;
  getApp(id: string): Promise<OzAppRecord | null>;
  /** Apps of one tenant (or of every tenant when null), ordered by id. */
  listApps(tenant: string | null): Promise<OzAppRecord[]>;
  /** Replaces the key (rotation); null when there is no such app. */
  setAppKey(id: string, key: string): Promise<OzAppRecord | null>;
  /** Removes the app and its grants in one step. */
  deleteApp(id: string): Promise<boolean>;

  // ---- grants ---------------------------------------------------------------

  createGrant(grant: OzGrantRecord): Promise<void>;
  /** The grant unless it expired (`exp <= now`) or was revoked. */
  getGrant(id: string, now: number): Promise<OzGrantRecord | null>;
  /** Live grants filtered by app and/or user, newest first, at most `limit`. */
  listGrants(filter: { app?: string; user?: string }, now: number, limit: number): Promise<OzGrantRecord[]>;
  /** Revokes the grant; false when there was none. */
  deleteGrant(id: string): Promise<boolean>;
  /** Revokes every grant of the profile (profile deleted); returns how many. */
  deleteGrantsOfUser(user: string): Promise<number>;
  /** As purgeTickets: up to `limit` expired grants through the expiry index. */
  purgeGrants(now: number, limit: number): Promise<number>;

  // ---- Hawk nonces ----------------------------------------------------------------

  /**
   * Records that `(credentialId, nonce)` was seen, unless it was already seen
   * and has not expired; returns true the first time only. Atomic across
   * every instance sharing the store: of concurrent calls with one pair,
   * exactly one returns true. The record lives until `expiresAt`.
   */
  useNonce(credentialId: string, nonce: string, now: number, expiresAt: number): Promise<boolean>;
  /** Up to `limit` expired nonces. */
  purgeNonces(now: number, limit: number): Promise<number>;
}
