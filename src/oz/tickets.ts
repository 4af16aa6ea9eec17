import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Keyring } from '../core/keyring.js';
import { loginIdHash, MAX_LOGIN_ID_LENGTH } from '../core/logins.js';
import type { OzAppRecord, OzGrantRecord, ProfileRecord, SessionRecord, Store } from '../store/types.js';
import type { Subscriptions } from '../webhooks/subscriptions.js';
import { appKeyFingerprint, withOpenKey } from './app-keys.js';
import { ozError } from './errors.js';
import type { IronKeys } from './iron.js';

/**
 * Oz's rules for issuing, reissuing and exchanging tickets (docs/oz.md, and the
 * `oz` package's lib/ticket.js and lib/endpoints.js), on ticketd's apps,
 * grants and profile sessions. No HTTP here: callers have already verified
 * the Hawk signature; failures are OzErrors named by the catalog.
 *
 * A ticket's id is the Iron seal of the whole ticket (its key and private
 * parts included), so tickets are never stored: what makes a user ticket
 * usable is its grant, checked on every reissue and authenticate — the grant
 * is live (not revoked, not expired), names the ticket's app (or the app
 * that delegated it) and user, the session it was made from is live, and the
 * profile is enabled and in the grant's tenant.
 */

export interface OzTtls {
  /** A ticket lives this long, never past its grant. Default 1 hour. */
  ticketMs: number;
  /** A grant made from a session lives this long. Default 30 days. */
  grantMs: number;
  /** An rsvp can be exchanged this long. Default 60 s. */
  rsvpMs: number;
}

export const DEFAULT_TTLS: OzTtls = { ticketMs: 60 * 60 * 1000, grantMs: 30 * 24 * 60 * 60 * 1000, rsvpMs: 60 * 1000 };

/** Ticket keys: 24 random bytes, 32 base64url characters (Oz's `keyBytes: 32` string). */
const KEY_BYTES = 24;
/** Grant ids: 128 random bits, URL-safe. */
const GRANT_ID_BYTES = 16;
/** Live grants looked through for one to reuse (same app, user, session, scope). */
const REUSE_LOOKUP = 100;

/** What is sealed in a ticket's id. */
export interface SealedTicket {
  /** Epoch ms. */
  exp: number;
  app: string;
  scope: string[];
  grant?: string;
  user?: string;
  /** The app that delegated this ticket (`issueTo`). */
  dlg?: string;
  /** Present (false) when the ticket may not be delegated. */
  delegate?: false;
  key: string;
  algorithm: 'sha256';
  /** `private.kf`: an app ticket's fingerprint of its app's key (app-keys.ts); never answered. */
  ext: { public: Record<string, unknown>; private?: { kf?: string } };
}

/** A ticket opened from its id: also the Hawk credentials of requests signed with it. */
export interface Ticket extends SealedTicket {
  id: string;
}

/** A ticket as answered: the seed's keys in the seed's order, the public ext, the id last. */
export interface TicketView extends Omit<SealedTicket, 'ext'> {
  /** The sealed ext's `public` part. */
  ext: Record<string, unknown>;
  id: string;
}

/** Oz's reissue options. */
export interface ReissueOptions {
  scope?: string[] | undefined;
  issueTo?: string | undefined;
}

/** What the Oz service needs of the identity domain: live sessions, by the hash of their id. */
export interface SessionLookup {
  session(hash: Buffer, slide: boolean): Promise<SessionRecord | null>;
}

/** The app record as Hawk credentials (`id`, `key`, `algorithm`). */
export type AppCredentials = OzAppRecord;

/** The parts the Oz service reads and writes. */
export type OzServiceStore = Pick<Store, 'apps' | 'grants' | 'profiles'>;

/** Is every item of `subset` in `scope`? (Oz's Scope.isSubset.) */
export function isSubset(scope: readonly string[], subset: readonly string[]): boolean {
  const have = new Set(scope);
  return subset.every((s) => have.has(s));
}

const sameScope = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && isSubset(a, b) && isSubset(b, a);

const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The sealed content, checked: a seal of anything else (an rsvp, a foreign object) is not a ticket. */
export function asTicket(v: unknown): SealedTicket | null {
  if (!isObject(v)) return null;
  const { exp, app, scope, grant, user, dlg, delegate, key, algorithm, ext } = v;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return null;
  if (!isString(app) || app === '' || !Array.isArray(scope) || !scope.every(isString)) return null;
  if (!isString(key) || key === '' || algorithm !== 'sha256') return null;
  if ((grant === undefined) !== (user === undefined)) return null;
  if (grant !== undefined && (!isString(grant) || !isString(user))) return null;
  if (dlg !== undefined && !isString(dlg)) return null;
  if (delegate !== undefined && delegate !== false) return null;
  if (!isObject(ext) || !isObject(ext.public)) return null;
  return v as unknown as SealedTicket;
}

interface RsvpEnvelope {
  app: string;
  exp: number;
  grant: string;
}

function asRsvp(v: unknown): RsvpEnvelope | null {
  if (!isObject(v) || 'key' in v) return null;
  const { app, exp, grant } = v;
  if (!isString(app) || typeof exp !== 'number' || !isString(grant)) return null;
  return { app, exp, grant };
}

/**
 * Opens a ticket id with the Iron password(s): `Bad ticket` when it is not
 * a ticket sealed under one of them; `Expired ticket` (body `expired: true`)
 * when `now` is given and the ticket expired.
 */
export async function openTicket(iron: Pick<IronKeys, 'unseal'>, id: string, now: number | null): Promise<Ticket> {
  let content: unknown;
  try {
    content = await iron.unseal(id);
  } catch {
    throw ozError('badTicket');
  }
  const sealed = asTicket(content);
  if (!sealed) throw ozError('badTicket');
  if (now !== null && sealed.exp <= now) throw ozError('expiredTicket', undefined, { expired: true });
  return { ...sealed, id };
}

/** Oz's checks after Hawk verified a request signed with a ticket: the header's `app` (and `dlg`) are the ticket's. */
export function checkTicketArtifacts(
  ticket: Ticket,
  artifacts: { app?: string | undefined; dlg?: string | undefined },
): void {
  if (ticket.app !== artifacts.app) throw ozError('mismatchingApplication');
  if ((ticket.dlg || artifacts.dlg) && ticket.dlg !== artifacts.dlg) throw ozError('mismatchingDelegation');
}

/** A ticket as a resource server may see it: everything but its key, the public ext. */
export type TicketInfo = Omit<TicketView, 'key'>;

export function withoutKey(ticket: Ticket): TicketInfo {
  const { key: _key, ext, id, ...head } = ticket;
  return { ...head, ext: ext.public, id };
}

export class OzService {
  constructor(
    private readonly store: OzServiceStore,
    private readonly sessions: SessionLookup,
    private readonly iron: IronKeys,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
    private readonly ttls: OzTtls = DEFAULT_TTLS,
    /** Which changes raise webhook events (docs/events.md); none without it. */
    private readonly subscriptions?: Subscriptions,
  ) {}

  /** The app as Hawk credentials, its key opened; null when unknown (or its key's keyring key was retired). */
  async appCredentials(id: string): Promise<AppCredentials | null> {
    if (id.length > 1000) return null;
    const app = await this.store.apps.get(id);
    return app && withOpenKey(this.keyring, app);
  }

  /**
   * The app of a ticket, checked: it exists; an app ticket was issued under
   * its current key (rotating the key ends its app tickets) and claims no
   * scope the app lacks. `Invalid application` otherwise.
   */
  private async ticketApp(ticket: SealedTicket): Promise<OzAppRecord> {
    const app = await this.appCredentials(ticket.app);
    if (!app) throw ozError('invalidApplication');
    if (ticket.grant === undefined) {
      const kf = ticket.ext.private?.kf;
      if (kf !== appKeyFingerprint(this.keyring, app) || !isSubset(app.scope, ticket.scope)) {
        throw ozError('invalidApplication');
      }
    }
    return app;
  }

  /**
   * Opens a ticket id: `Bad ticket` when it is not a seal of ours (tampered,
   * foreign, sealed under a password no longer configured, or not a
   * ticket); `Expired ticket` (with `expired: true`) when asked to check expiry.
   */
  openTicket(id: string, checkExpiration: boolean): Promise<Ticket> {
    return openTicket(this.iron, id, checkExpiration ? this.clock.now() : null);
  }

  // ---- issuing -------------------------------------------------------------------------

  /** `POST /v1/ticket`: a session of a profile of the app's tenant → a grant (reused when one fits) and a user ticket. */
  async exchangeSession(app: OzAppRecord, sessionId: string): Promise<TicketView> {
    const { hash, profile } = await this.sessionProfile(sessionId);
    if (profile.tenant !== app.tenant) throw ozError('invalidSession');
    const grant = await this.grantFor(app, profile, hash, app.scope);
    return this.issueUser(app, grant, profile, grant.scope);
  }

  /** `POST /oz/app`: an app ticket for the app's own credentials. */
  appTicket(app: OzAppRecord): Promise<TicketView> {
    const fields = { exp: this.clock.now() + this.ttls.ticketMs, app: app.id, scope: [...app.scope] };
    return this.generate(fields, {}, { kf: appKeyFingerprint(this.keyring, app) });
  }

  /**
   * `POST /v1/ticket/reissue`, `/oz/reissue`: a new ticket (fresh key) from
   * a parent ticket, expired or not, following Oz: the app must still
   * exist; `issueTo` needs the app's `delegate` right, a parent that is not
   * itself delegated (no re-delegation) nor marked not delegable; `scope`
   * may only narrow; a user ticket needs its grant live.
   */
  async reissue(parent: Ticket, options: ReissueOptions): Promise<TicketView> {
    const app = await this.ticketApp(parent);
    if (options.issueTo !== undefined && !app.delegate) throw ozError('noDelegationRights');

    let live: { grant: OzGrantRecord; profile: ProfileRecord } | null = null;
    if (parent.grant !== undefined) {
      live = await this.liveGrant(parent);
      if (app.tenant !== live.grant.tenant) throw ozError('invalidGrant');
    }

    if (options.scope !== undefined && !isSubset(parent.scope, options.scope)) throw ozError('scopeNotSubset');

    let target = app;
    if (options.issueTo !== undefined) {
      if (parent.dlg !== undefined) throw ozError('cannotRedelegate');
      if (parent.delegate === false) throw ozError('ticketNoDelegation');
      const to = await this.appCredentials(options.issueTo);
      if (!to || to.tenant !== app.tenant) throw ozError('unknownIssueTo');
      target = to;
    }

    let exp = this.clock.now() + this.ttls.ticketMs;
    if (live) exp = Math.min(exp, live.grant.exp);
    const dlg = options.issueTo !== undefined ? parent.app : parent.dlg;
    return this.generate(
      {
        exp,
        app: target.id,
        scope: [...(options.scope ?? parent.scope)],
        ...(live ? { grant: live.grant.id, user: live.grant.user } : {}),
        ...(dlg !== undefined ? { dlg } : {}),
        ...(parent.delegate === false ? { delegate: false as const } : {}),
      },
      live ? publicExt(target, live.profile) : {},
      live ? undefined : { kf: appKeyFingerprint(this.keyring, target) },
    );
  }

  /**
   * `POST /v1/rsvp`: the consent step. The person's session (live, profile
   * enabled, in the app's tenant) grants the app `scope` (the app's scope by
   * default; only a part of it) → an rsvp, sealed, exchangeable for
   * `rsvpMs` at `/oz/rsvp` by the app.
   */
  async createRsvp(sessionId: string, appId: string, scope: string[] | undefined): Promise<string> {
    const { hash, profile } = await this.sessionProfile(sessionId);
    const app = await this.appCredentials(appId);
    if (!app) throw ozError('rsvpInvalidApplication');
    if (app.tenant !== profile.tenant) throw ozError('invalidSession');
    const granted = scope ?? app.scope;
    if (!isSubset(app.scope, granted)) throw ozError('grantScopeNotSubset');
    const grant = await this.grantFor(app, profile, hash, granted);
    const envelope: RsvpEnvelope = { app: app.id, exp: this.clock.now() + this.ttls.rsvpMs, grant: grant.id };
    return this.iron.seal(envelope);
  }

  /** `POST /oz/rsvp`: an app ticket and an rsvp made for its app → a user ticket on the rsvp's grant. */
  async exchangeRsvp(appTicket: Ticket, rsvp: string): Promise<TicketView> {
    if (appTicket.user !== undefined) throw ozError('userTicketOnAppEndpoint');
    await this.ticketApp(appTicket);
    let envelope: RsvpEnvelope | null;
    try {
      envelope = asRsvp(await this.iron.unseal(rsvp));
    } catch {
      envelope = null;
    }
    if (!envelope) throw ozError('invalidRsvp');
    if (envelope.app !== appTicket.app) throw ozError('mismatchingRsvp');
    const now = this.clock.now();
    if (envelope.exp <= now) throw ozError('expiredRsvp');
    const grant = await this.store.grants.get(envelope.grant, now);
    if (!grant || grant.app !== appTicket.app || grant.exp <= now) throw ozError('rsvpInvalidGrant');
    const profile = await this.grantProfile(grant);
    if (!profile) throw ozError('rsvpInvalidGrant');
    const app = await this.store.apps.get(grant.app);
    if (!app || app.tenant !== grant.tenant) throw ozError('rsvpInvalidApplication');
    return this.issueUser(app, grant, profile, grant.scope);
  }

  /**
   * For `POST /v1/ticket/authenticate`: the app of a ticket whose Hawk
   * signature was verified still exists and, for a user ticket, its grant is live.
   */
  async checkLive(ticket: Ticket): Promise<void> {
    const app = await this.ticketApp(ticket);
    if (ticket.grant === undefined) return;
    const { grant } = await this.liveGrant(ticket);
    if (app.tenant !== grant.tenant) throw ozError('invalidGrant');
  }

  // ---- grants ---------------------------------------------------------------------------------

  /**
   * The ticket's grant, when it may still be used: live, naming the
   * ticket's app (or the app that delegated it) and user; its session live
   * (and slid: using the grant is the person's activity); its profile enabled.
   */
  private async liveGrant(ticket: SealedTicket): Promise<{ grant: OzGrantRecord; profile: ProfileRecord }> {
    const now = this.clock.now();
    const grant = ticket.grant === undefined ? null : await this.store.grants.get(ticket.grant, now);
    if (
      !grant ||
      (grant.app !== ticket.app && grant.app !== ticket.dlg) ||
      grant.user !== ticket.user ||
      grant.exp <= now ||
      // A ticket never carries more than its grant gave (only a forged one could).
      !isSubset(grant.scope, ticket.scope)
    ) {
      throw ozError('invalidGrant');
    }
    const profile = await this.grantProfile(grant);
    if (!profile) throw ozError('invalidGrant');
    return { grant, profile };
  }

  /** The grant's profile when its session is live and the profile enabled in the grant's tenant; else null. */
  private async grantProfile(grant: OzGrantRecord): Promise<ProfileRecord | null> {
    if (grant.session) {
      const session = await this.sessions.session(grant.session, true);
      if (!session || session.profileId !== grant.user) return null;
    }
    const profile = await this.store.profiles.get(grant.user);
    if (!profile?.enabled || profile.tenant !== grant.tenant) return null;
    return profile;
  }

  /** A live session (slid) of an enabled profile; `Invalid session` otherwise. */
  private async sessionProfile(sessionId: string): Promise<{ hash: Buffer; profile: ProfileRecord }> {
    if (sessionId === '' || sessionId.length > MAX_LOGIN_ID_LENGTH) throw ozError('invalidSession');
    const hash = loginIdHash(sessionId);
    const session = await this.sessions.session(hash, true);
    if (!session) throw ozError('invalidSession');
    const profile = await this.store.profiles.get(session.profileId);
    if (!profile?.enabled || profile.tenant !== session.tenant) throw ozError('invalidSession');
    return { hash, profile };
  }

  /** A live grant of this app, user, session and scope when there is one (repeated exchanges of one session), else a new one. */
  private async grantFor(
    app: OzAppRecord,
    profile: ProfileRecord,
    session: Buffer,
    scope: readonly string[],
  ): Promise<OzGrantRecord> {
    const now = this.clock.now();
    const existing = await this.store.grants.list({ app: app.id, user: profile.id }, now, REUSE_LOOKUP);
    const fit = existing.find(
      (g) => g.tenant === app.tenant && g.session?.equals(session) && sameScope(g.scope, scope) && g.exp > now,
    );
    if (fit) return fit;
    const grant: OzGrantRecord = {
      id: randomBytes(GRANT_ID_BYTES).toString('base64url'),
      tenant: app.tenant,
      app: app.id,
      user: profile.id,
      scope: [...new Set(scope)],
      exp: now + this.ttls.grantMs,
      session,
      createdOn: now,
    };
    await this.store.grants.create(
      grant,
      this.subscriptions?.event(
        'grant.created',
        grant.tenant,
        () => ({ tenant: grant.tenant, grantId: grant.id, appId: grant.app, profileId: grant.user }),
        now,
      ),
    );
    return grant;
  }

  // ---- tickets ----------------------------------------------------------------------------

  private issueUser(
    app: OzAppRecord,
    grant: OzGrantRecord,
    profile: ProfileRecord,
    scope: readonly string[],
  ): Promise<TicketView> {
    const exp = Math.min(this.clock.now() + this.ttls.ticketMs, grant.exp);
    return this.generate(
      { exp, app: app.id, scope: [...scope], grant: grant.id, user: grant.user },
      publicExt(app, profile),
    );
  }

  /** Oz's Ticket.generate: a fresh key, the whole ticket sealed as its id; answered with the public ext only. */
  private async generate(
    fields: Pick<SealedTicket, 'exp' | 'app' | 'scope' | 'grant' | 'user' | 'dlg' | 'delegate'>,
    ext: Record<string, unknown>,
    privateExt?: { kf: string },
  ): Promise<TicketView> {
    const head = {
      exp: fields.exp,
      app: fields.app,
      scope: fields.scope,
      ...(fields.grant !== undefined ? { grant: fields.grant, user: fields.user as string } : {}),
      ...(fields.dlg !== undefined ? { dlg: fields.dlg } : {}),
      ...(fields.delegate === false ? { delegate: false as const } : {}),
      key: randomBytes(KEY_BYTES).toString('base64url'),
      algorithm: 'sha256' as const,
    };
    const sealed: SealedTicket = { ...head, ext: privateExt ? { public: ext, private: privateExt } : { public: ext } };
    const id = await this.iron.seal(sealed);
    return { ...head, ext, id };
  }
}

/** The profile attributes the app names (`extAttributes`) that the profile has. */
export function publicExt(app: OzAppRecord, profile: ProfileRecord): Record<string, unknown> {
  const ext: Record<string, unknown> = {};
  for (const name of app.extAttributes) {
    if (Object.hasOwn(profile.attributes, name)) {
      // defineProperty: a `__proto__` attribute stays an attribute.
      Object.defineProperty(ext, name, {
        value: profile.attributes[name],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return ext;
}
