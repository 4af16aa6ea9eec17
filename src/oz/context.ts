import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.js';
import type { Events } from '../core/events.js';
import type { Keyring } from '../core/keyring.js';
import type { Logins } from '../core/logins.js';
import type { Store } from '../store/types.js';
import type { Subscriptions } from '../webhooks/subscriptions.js';
import { type Artifacts, type Credentials, HawkVerifier, type SignedRequest } from './hawk.js';
import { IronKeys, type IronSettings } from './iron.js';
import { type AppCredentials, checkTicketArtifacts, OzService, type Ticket } from './tickets.js';

/** What every Oz route needs, handed over by the wiring. */
export interface OzSurface {
  service: OzService;
  hawk: HawkVerifier;
  /** Where refusals are reported (metrics). */
  events?: Events | undefined;
}

/** The `oz` settings (src/config/schema.ts). */
export interface OzSettings extends IronSettings {
  host?: string | undefined;
  port?: number | undefined;
  trust_proxy: boolean;
  require_payload_hash: boolean;
  ticket_ttl: number;
  grant_ttl: number;
  rsvp_ttl: number;
}

/** Builds the surface: loads (or, the first time, generates) the Iron password. ConfigError on bad settings. */
export async function createOzSurface(
  settings: OzSettings,
  store: Store,
  keyring: Keyring,
  logins: Pick<Logins, 'session'>,
  clock: Clock,
  events?: Events,
  subscriptions?: Subscriptions,
): Promise<OzSurface> {
  const iron = await IronKeys.load(settings, store.meta, keyring);
  return {
    service: new OzService(
      store,
      logins,
      iron,
      keyring,
      clock,
      { ticketMs: settings.ticket_ttl * 1000, grantMs: settings.grant_ttl * 1000, rsvpMs: settings.rsvp_ttl * 1000 },
      subscriptions,
    ),
    hawk: new HawkVerifier(store.nonces, clock, {
      host: settings.host,
      port: settings.port,
      trustProxy: settings.trust_proxy,
      requirePayloadHash: settings.require_payload_hash,
    }),
    events,
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified Hawk credentials and artifacts; responses then carry Server-Authorization. */
    ozAuth: { credentials: Credentials; artifacts: Artifacts } | null;
    /** The Content-Type as sent (part of the Hawk payload hash); the header itself is removed before parsing. */
    ozContentType: string | undefined;
  }
}

export type OzRoute = (app: FastifyInstance, surface: OzSurface) => void;

/** Routes check their bodies themselves, after the Hawk signature (over the raw bytes) is verified. */
export const NO_VALIDATION = () => () => true;

/** The parts of this request Hawk signs. */
function signedRequest(req: FastifyRequest, surface: OzSurface): SignedRequest {
  const { host, port } = surface.hawk.hostPort(req.headers, Boolean((req.socket as TLSSocket | undefined)?.encrypted));
  return {
    method: req.method,
    url: req.url,
    host,
    port,
    authorization: req.headers.authorization,
    contentType: req.ozContentType,
    payload: Buffer.isBuffer(req.body) ? req.body : undefined,
  };
}

/** Hawk with an app's own credentials (`id` = the app id). */
export async function authenticateApp(req: FastifyRequest, surface: OzSurface): Promise<AppCredentials> {
  const result = await surface.hawk.authenticate(signedRequest(req, surface), (id) =>
    surface.service.appCredentials(id),
  );
  req.ozAuth = result;
  return result.credentials;
}

/**
 * Hawk with a ticket (`id` = the sealed ticket id), then Oz's checks: the
 * header's `app` (and `dlg`) must be the ticket's.
 */
export async function authenticateTicket(
  req: FastifyRequest,
  surface: OzSurface,
  checkExpiration: boolean,
): Promise<Ticket> {
  const result = await surface.hawk.authenticate(signedRequest(req, surface), (id) =>
    surface.service.openTicket(id, checkExpiration),
  );
  checkTicketArtifacts(result.credentials, result.artifacts);
  req.ozAuth = result;
  return result.credentials;
}

/**
 * Sends a JSON answer as exact text, with `Server-Authorization` (Hawk's
 * response MAC over it, body hash included) once the request was verified.
 */
export function sendJson(
  req: FastifyRequest,
  reply: FastifyReply,
  surface: OzSurface,
  status: number,
  value: unknown,
): FastifyReply {
  const body = JSON.stringify(value);
  if (req.ozAuth) {
    reply.header(
      'Server-Authorization',
      surface.hawk.responseHeader(req.ozAuth.credentials, req.ozAuth.artifacts, body, 'application/json'),
    );
  }
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}
