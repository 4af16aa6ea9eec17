import { SYSTEM_ACTOR } from '../core/access-tokens.js';
import type { Clock } from '../core/clock.js';
import type { Identity } from '../core/identity.js';
import { loginIdHash, MAX_LOGIN_ID_LENGTH } from '../core/logins.js';
import { ApiError } from '../http/api-error.js';
import type { OzAdmin } from '../oz/admin.js';
import type { OzService, Ticket } from '../oz/tickets.js';
import type { AccessTokenRecord, SessionKind, SessionRecord, Store } from '../store/types.js';
import type { TicketService } from '../tickets/service.js';

/**
 * RFC 7662 introspection and RFC 7009 revocation of every credential
 * ticketd issues (docs/oauth.md): opaque tickets, profile login tickets and
 * persistent logins, access tokens, Oz user and app tickets. The caller is
 * an access token; it sees and ends only credentials of tenants it has a
 * permission on (any action), access tokens only when it is a master
 * token. Whatever it may not see is `{"active": false}`, exactly like a
 * token that does not exist.
 */

/** What introspection answers: RFC 7662's fields where they apply, and `ticketd_kind`. */
export interface Introspected {
  active: boolean;
  scope?: string;
  client_id?: string;
  token_type?: string;
  exp?: number;
  iat?: number;
  sub?: string;
  iss?: string;
  ticketd_kind?: CredentialKind;
  ticketd_tenant?: string;
  ticketd_uses_left?: number | null;
}

export type CredentialKind =
  | 'ticket'
  | 'login_ticket'
  | 'persistent_login'
  | 'access_token'
  | 'oz_user_ticket'
  | 'oz_app_ticket';

/** What revocation did: ended the credential, found nothing it may end, or met a kind it cannot end alone. */
export type Revoked = 'revoked' | 'none' | 'unsupported';

const INACTIVE: Introspected = { active: false };
/** A credential that exists but that the caller may not see: answered as if there were none, and the search ends. */
const UNSEEN = Symbol('unseen');
/** Iron seals (Oz tickets) start so. */
const IRON_PREFIX = 'Fe26.2*';
/** Longer than any credential ticketd issues: not looked up at all. */
const MAX_TOKEN_LENGTH = 4096;

const seconds = (ms: number) => Math.floor(ms / 1000);

/** A credential found, with what ends it. */
interface Found {
  tenant: string | null;
  view: Introspected;
  revoke: (() => Promise<unknown>) | null;
}

export class TokenIntrospection {
  constructor(
    private readonly deps: {
      store: Pick<Store, 'sessions' | 'tenants'>;
      identity: Identity;
      tickets: TicketService;
      oz: OzService;
      ozAdmin: OzAdmin;
      clock: Clock;
      issuer: string;
    },
  ) {}

  async introspect(caller: AccessTokenRecord, token: string): Promise<Introspected> {
    const found = await this.find(caller, token);
    return found ? { ...found.view, iss: this.deps.issuer } : INACTIVE;
  }

  async revoke(caller: AccessTokenRecord, token: string): Promise<Revoked> {
    const found = await this.find(caller, token);
    if (!found) return 'none';
    if (!found.revoke) return 'unsupported';
    await found.revoke();
    return 'revoked';
  }

  /** The live credential `token` names, when the caller may see it. */
  private async find(caller: AccessTokenRecord, token: string): Promise<Found | null> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    const may = (tenant: string) =>
      caller.master || caller.tenantPermissions.some((p) => p.tenant === '*' || p.tenant === tenant);
    const found = token.startsWith(IRON_PREFIX)
      ? await this.ozTicket(token)
      : ((await this.session('login', token)) ??
        (await this.session('persistent', token)) ??
        (await this.accessToken(caller, token)) ??
        (await this.opaqueTicket(token, caller, may)));
    if (!found || found === UNSEEN) return null;
    return found.tenant === null || may(found.tenant) ? found : null;
  }

  private async session(kind: SessionKind, token: string): Promise<Found | null> {
    if (token.length > MAX_LOGIN_ID_LENGTH) return null;
    const s: SessionRecord | null = await this.deps.store.sessions.get(kind, loginIdHash(token), this.deps.clock.now());
    if (!s) return null;
    const { logins } = this.deps.identity;
    return {
      tenant: s.tenant,
      view: {
        active: true,
        sub: s.profileId,
        exp: seconds(s.expiresAt),
        iat: seconds(s.createdAt),
        ticketd_kind: kind === 'login' ? 'login_ticket' : 'persistent_login',
        ticketd_tenant: s.tenant,
      },
      // A login ticket ends with its session; grants made from it end with it (docs/oz.md).
      revoke: () =>
        kind === 'login'
          ? logins.invalidateTicket(SYSTEM_ACTOR, token)
          : logins.deletePersistentLogin(SYSTEM_ACTOR, token),
    };
  }

  /** Access tokens: seen and ended by master tokens only (an access token belongs to no tenant). */
  private async accessToken(caller: AccessTokenRecord, token: string): Promise<Found | typeof UNSEEN | null> {
    const record = await this.deps.identity.accessTokens.lookup(token);
    if (!record) return null;
    if (!caller.master) return UNSEEN;
    if (record.expiresOn !== null && record.expiresOn <= this.deps.clock.now()) return null;
    return {
      tenant: null,
      view: {
        active: true,
        client_id: record.application,
        token_type: 'access_token',
        ...(record.expiresOn === null ? {} : { exp: seconds(record.expiresOn) }),
        ticketd_kind: 'access_token',
      },
      revoke: () => this.deps.identity.accessTokens.delete(SYSTEM_ACTOR, token),
    };
  }

  /** Opaque tickets live in their tenant: looked for in each tenant the caller may see. */
  private async opaqueTicket(
    token: string,
    caller: AccessTokenRecord,
    may: (tenant: string) => boolean,
  ): Promise<Found | null> {
    const named = caller.master || caller.tenantPermissions.some((p) => p.tenant === '*');
    const tenants = named
      ? (await this.deps.store.tenants.list()).map((t) => t.name)
      : caller.tenantPermissions.map((p) => p.tenant);
    for (const tenant of tenants) {
      if (!may(tenant)) continue;
      // Not there is null; a store that does not answer fails the request (503), it does not make the ticket inactive.
      const info = await this.deps.tickets.peek(tenant, token).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      });
      if (!info) continue;
      return {
        tenant,
        view: {
          active: true,
          iat: seconds(info.created),
          ...(info.expires === null ? {} : { exp: seconds(info.expires) }),
          ticketd_kind: 'ticket',
          ticketd_tenant: tenant,
          ticketd_uses_left: info.uses,
        },
        revoke: () => this.deps.tickets.delete(tenant, token),
      };
    }
    return null;
  }

  /** Oz tickets: opened, unexpired, their app (and a user ticket's grant) still live. */
  private async ozTicket(token: string): Promise<Found | null> {
    const { oz } = this.deps;
    let ticket: Ticket;
    try {
      ticket = await oz.openTicket(token, true);
      await oz.checkLive(ticket);
    } catch {
      return null;
    }
    const app = await oz.appCredentials(ticket.app);
    if (!app) return null;
    const user = ticket.grant !== undefined;
    const grant = ticket.grant;
    return {
      tenant: app.tenant,
      view: {
        active: true,
        client_id: ticket.app,
        scope: ticket.scope.join(' '),
        exp: seconds(ticket.exp),
        ...(user && ticket.user !== undefined ? { sub: ticket.user } : {}),
        ticketd_kind: user ? 'oz_user_ticket' : 'oz_app_ticket',
        ticketd_tenant: app.tenant,
      },
      // A user ticket ends with its grant; an app ticket only with its app's key (rotate it).
      revoke: grant === undefined ? null : () => this.deps.ozAdmin.revokeGrant(grant),
    };
  }
}
