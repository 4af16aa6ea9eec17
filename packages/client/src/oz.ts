import hawk from 'hawk';
import { OzError } from './errors.js';
import { type ClientOptions, send } from './http.js';

/** Hawk credentials: an app's (id and key from the admin API), or a ticket's (its id and key). */
export interface HawkCredentials {
  id: string;
  key: string;
  algorithm: 'sha256' | 'sha1';
}

/** An Oz ticket as ticketd answers it: Hawk credentials with their limits. */
export interface OzTicket extends HawkCredentials {
  /** Expiry, epoch milliseconds. */
  exp: number;
  app: string;
  scope: string[];
  /** User tickets: the grant and the profile id. */
  grant?: string;
  user?: string;
  /** Delegated tickets: the app that delegated it. */
  dlg?: string;
  delegate?: false;
  /** The profile attributes the app may see (its extAttributes). */
  ext: Record<string, unknown>;
}

export interface OzClientOptions extends ClientOptions {
  /** The app's own credentials. */
  app: HawkCredentials;
  /** Reissue a user ticket this long before it expires (default 60 s). */
  reissueMarginMs?: number;
  /** The clock (epoch ms), for tests. */
  now?: () => number;
}

/** An `Authorization: Hawk ...` header for a request signed with `credentials`, the payload hashed when given. */
export function hawkHeader(
  url: string,
  method: string,
  credentials: HawkCredentials,
  options: {
    app?: string | undefined;
    dlg?: string | undefined;
    payload?: string;
    contentType?: string;
    now?: number;
  } = {},
): string {
  return hawk.client.header(url, method, {
    credentials,
    ...(options.app ? { app: options.app } : {}),
    ...(options.dlg ? { dlg: options.dlg } : {}),
    ...(options.payload !== undefined
      ? { payload: options.payload, contentType: options.contentType ?? 'application/json' }
      : {}),
    ...(options.now !== undefined ? { timestamp: Math.floor(options.now / 1000) } : {}),
  }).header;
}

const credentialsOf = (t: OzTicket): HawkCredentials => ({ id: t.id, key: t.key, algorithm: t.algorithm });

/**
 * The app side of Oz against ticketd: app tickets, user tickets from a
 * person's session (`POST /v1/ticket`, the mylet API) or from an rsvp
 * (`/oz/rsvp`), every request Hawk-signed with the `hawk` package.
 * Refusals throw OzError with Oz's message (`Invalid session`, `Bad mac`, ...).
 */
export class OzClient {
  constructor(private readonly options: OzClientOptions) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** POSTs `body` (JSON) to one of ticketd's Oz routes, signed with `credentials` (and the payload hash). */
  async signedPost<T>(path: string, credentials: HawkCredentials, body: unknown, app?: OzTicket): Promise<T> {
    const payload = JSON.stringify(body ?? {});
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}${path}`;
    const authorization = hawkHeader(url, 'POST', credentials, {
      app: app?.app,
      dlg: app?.dlg,
      payload,
      now: this.now(),
    });
    return (await send<T>(this.options, 'oz', { method: 'POST', path, json: payload, headers: { authorization } }))
      .body;
  }

  /** `POST /oz/app`: a ticket for the app itself. */
  appTicket(): Promise<OzTicket> {
    return this.signedPost('/oz/app', this.options.app, {});
  }

  /** `POST /v1/ticket`: a person's session (a login ticket id) for a user ticket, kept fresh by the returned OzSession. */
  async userTicket(session: string): Promise<OzSession> {
    return new OzSession(
      this,
      await this.signedPost<OzTicket>('/v1/ticket', this.options.app, { session }),
      this.margin(),
    );
  }

  /** `POST /v1/rsvp`: the consent step; a session grants the app `scope` (the app's by default). */
  async rsvp(session: string, scope?: string[]): Promise<string> {
    const body = { session, app: this.options.app.id, ...(scope ? { scope } : {}) };
    return (await send<{ rsvp: string }>(this.options, 'oz', { method: 'POST', path: '/v1/rsvp', json: body })).body
      .rsvp;
  }

  /** `POST /oz/rsvp`: an rsvp (with an app ticket) for a user ticket. */
  async exchangeRsvp(rsvp: string): Promise<OzSession> {
    const app = await this.appTicket();
    const ticket = await this.signedPost<OzTicket>('/oz/rsvp', credentialsOf(app), { rsvp }, app);
    return new OzSession(this, ticket, this.margin());
  }

  private margin(): number {
    return this.options.reissueMarginMs ?? 60_000;
  }

  /** The clock this client signs with. */
  time(): number {
    return this.now();
  }
}

/**
 * A user ticket that stays fresh: `current()` reissues it
 * (`POST /v1/ticket/reissue`) once it is within the margin of its expiry,
 * one reissue at a time however many callers ask; `fetch()` signs a
 * request with it and, should ticketd or a resource server answer
 * `Expired ticket`, reissues and tries once more.
 */
export class OzSession {
  private reissuing: Promise<OzTicket> | undefined;

  constructor(
    private readonly client: OzClient,
    private ticket: OzTicket,
    private readonly marginMs: number,
  ) {}

  /** The ticket as it is now, without reissuing. */
  get latest(): OzTicket {
    return this.ticket;
  }

  /** A ticket with more than the margin left: this one, or a reissued one. */
  async current(): Promise<OzTicket> {
    if (this.ticket.exp - this.client.time() > this.marginMs) return this.ticket;
    return this.reissue();
  }

  /** A new ticket (fresh key) on the same grant; `scope` may only narrow it. */
  reissue(options: { scope?: string[] } = {}): Promise<OzTicket> {
    this.reissuing ??= this.client
      .signedPost<OzTicket>('/v1/ticket/reissue', credentialsOf(this.ticket), options, this.ticket)
      .then((t) => {
        this.ticket = t;
        return t;
      })
      .finally(() => {
        this.reissuing = undefined;
      });
    return this.reissuing;
  }

  /** An Authorization header for `method url` with the current ticket. */
  async header(url: string, method: string, options: { payload?: string; contentType?: string } = {}): Promise<string> {
    const t = await this.current();
    return hawkHeader(url, method, credentialsOf(t), { app: t.app, dlg: t.dlg, now: this.client.time(), ...options });
  }

  /**
   * `fetch` with the request signed (and its string body hashed). A 401
   * `Expired ticket` answer (Oz's, with `expired: true`) reissues and sends again once.
   */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const attempt = async () => {
      const method = init.method ?? 'GET';
      const headers = new Headers(init.headers);
      const payload = typeof init.body === 'string' ? init.body : undefined;
      const contentType = headers.get('content-type') ?? undefined;
      headers.set(
        'authorization',
        await this.header(url, method, { ...(payload !== undefined ? { payload, contentType } : {}) }),
      );
      return fetch(url, { ...init, headers });
    };
    const res = await attempt();
    if (res.status !== 401) return res;
    const body = (await res
      .clone()
      .json()
      .catch(() => null)) as { expired?: boolean } | null;
    if (body?.expired !== true) return res;
    await this.reissue();
    return attempt();
  }
}

export { OzError };
