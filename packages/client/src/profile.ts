import { type ClientOptions, send } from './http.js';

export interface ProfileOptions extends ClientOptions {
  /** The access token every call of this surface takes (`accessTokenId`). */
  accessTokenId: string;
}

/** A profile, in Crafter Profile's key order. */
export interface Profile {
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

/** A login ticket: its id is the person's session token. */
export interface LoginTicket {
  tenant: string;
  profileId: string;
  lastRequestTime: number;
  id: string;
}

export interface PersistentLogin {
  id: string;
  tenant: string;
  profileId: string;
  /** Shown to the client each time it changes (create, refresh). */
  token: string;
  timestamp: number;
}

export interface NewProfile {
  tenantName: string;
  username: string;
  password: string;
  email: string;
  enabled?: boolean;
  roles?: string[];
  attributes?: Record<string, unknown>;
}

export type ProfileChanges = Partial<Omit<NewProfile, 'tenantName'>>;

type Params = Record<string, string | number | boolean | string[] | undefined>;

/**
 * The profile surface (`/api/1`, Crafter Profile-compatible): log people
 * in, keep their sessions (login tickets) and persistent logins, manage
 * profiles. Refusals throw ProfileError with Crafter's `errorCode`.
 */
export class ProfileClient {
  constructor(private readonly options: ProfileOptions) {}

  private async call<T>(method: 'GET' | 'POST', path: string, params: Params = {}): Promise<T> {
    const all = { accessTokenId: this.options.accessTokenId, ...params };
    const call = method === 'GET' ? { method, path, query: all } : { method, path, form: all };
    return (await send<T>(this.options, 'profile', call)).body;
  }

  // ---- sessions ----------------------------------------------------------------------------

  /** Checks the password (scrypt) and opens a session: BAD_CREDENTIALS, DISABLED_PROFILE or PROFILE_LOCKED otherwise. */
  authenticate(tenantName: string, username: string, password: string): Promise<LoginTicket> {
    return this.call('POST', '/api/1/authentication/authenticate', { tenantName, username, password });
  }

  /** A session for a profile without its password (single sign-on from elsewhere). */
  createTicket(profileId: string): Promise<LoginTicket> {
    return this.call('POST', '/api/1/authentication/ticket/create', { profileId });
  }

  /** The live session; each look-up slides its expiry. */
  getTicket(id: string): Promise<LoginTicket> {
    return this.call('GET', `/api/1/authentication/ticket/${encodeURIComponent(id)}`);
  }

  /** Logs out: the session, and every Oz grant made from it, end. */
  async invalidateTicket(id: string): Promise<void> {
    await this.call('POST', `/api/1/authentication/ticket/${encodeURIComponent(id)}/invalidate`);
  }

  /** The profile of a live session. */
  profileByTicket(ticketId: string, attributeToReturn?: string[]): Promise<Profile> {
    return this.call('GET', '/api/1/profile/by_ticket', { ticketId, attributeToReturn });
  }

  // ---- persistent logins ("remember me") ---------------------------------------------------

  createPersistentLogin(profileId: string): Promise<PersistentLogin> {
    return this.call('POST', '/api/1/authentication/persistent_login/create', { profileId });
  }

  getPersistentLogin(id: string): Promise<PersistentLogin> {
    return this.call('GET', `/api/1/authentication/persistent_login/${encodeURIComponent(id)}`);
  }

  /** A new token for the persistent login; the old one stops working. */
  refreshPersistentLogin(id: string): Promise<PersistentLogin> {
    return this.call('POST', `/api/1/authentication/persistent_login/${encodeURIComponent(id)}/refresh_token`);
  }

  async deletePersistentLogin(id: string): Promise<void> {
    await this.call('POST', `/api/1/authentication/persistent_login/${encodeURIComponent(id)}/delete`);
  }

  // ---- profiles ----------------------------------------------------------------------------

  createProfile(p: NewProfile): Promise<Profile> {
    return this.call('POST', '/api/1/profile/create', {
      tenantName: p.tenantName,
      username: p.username,
      password: p.password,
      email: p.email,
      enabled: p.enabled,
      role: p.roles,
      attributes: p.attributes === undefined ? undefined : JSON.stringify(p.attributes),
    });
  }

  getProfile(id: string, attributeToReturn?: string[]): Promise<Profile> {
    return this.call('GET', `/api/1/profile/${encodeURIComponent(id)}`, { attributeToReturn });
  }

  /** Absent fields keep their value; attributes are merged. A new password or `enabled: false` ends its sessions. */
  updateProfile(id: string, changes: ProfileChanges): Promise<Profile> {
    return this.call('POST', `/api/1/profile/${encodeURIComponent(id)}/update`, {
      username: changes.username,
      password: changes.password,
      email: changes.email,
      enabled: changes.enabled,
      role: changes.roles,
      attributes: changes.attributes === undefined ? undefined : JSON.stringify(changes.attributes),
    });
  }

  enableProfile(id: string): Promise<Profile> {
    return this.call('POST', `/api/1/profile/${encodeURIComponent(id)}/enable`);
  }

  disableProfile(id: string): Promise<Profile> {
    return this.call('POST', `/api/1/profile/${encodeURIComponent(id)}/disable`);
  }

  changePassword(id: string, newPassword: string): Promise<Profile> {
    return this.call('POST', `/api/1/profile/${encodeURIComponent(id)}/change_password`, { newPassword });
  }

  deleteProfile(id: string): Promise<Profile> {
    return this.call('POST', `/api/1/profile/${encodeURIComponent(id)}/delete`);
  }
}
