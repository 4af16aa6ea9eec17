import { OzError } from './errors.js';
import { type ClientOptions, send } from './http.js';
import type { OzTicket } from './oz.js';

/** The parts of a request a resource server received, as ticketd's `/v1/ticket/authenticate` takes them. */
export interface ReceivedRequest {
  method: string;
  /** Path and query string, as received. */
  url: string;
  /** The host and port the client signed for (usually the Host header's). */
  host: string;
  port: number | string;
  authorization: string;
  /** The raw body, when the client signed its hash. */
  payload?: string;
  contentType?: string;
}

/** A verified request: the ticket without its key, and Hawk's artifacts. */
export interface Verified {
  ticket: Omit<OzTicket, 'key'>;
  artifacts: Record<string, unknown>;
}

/**
 * Asks ticketd whether a Hawk-signed request a resource server received is
 * good: the MAC, ±60 s, a nonce seen once, the payload hash, the ticket's
 * expiry and app, for a user ticket its grant (session live, profile
 * enabled). Refused: throws OzError, whose status, body and
 * `WWW-Authenticate` header the resource server relays to its client.
 */
export async function verifyRequest(ticketd: ClientOptions, req: ReceivedRequest): Promise<Verified> {
  return (await send<Verified>(ticketd, 'oz', { method: 'POST', path: '/v1/ticket/authenticate', json: req })).body;
}

/** The part of a Fastify request (or any like it) hawkPreHandler reads. */
export interface IncomingLike {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  ozTicket?: Verified['ticket'];
}

/** The part of a Fastify reply hawkPreHandler answers with. */
export interface ReplyLike {
  code(status: number): ReplyLike;
  header(name: string, value: string): ReplyLike;
  send(body: unknown): unknown;
}

export interface PreHandlerOptions extends ClientOptions {
  /** A scope the ticket must have (e.g. `mylet`). */
  scope?: string;
  /** The raw body of a request, for clients that sign its hash (default: a string body as is). */
  payloadOf?: (req: IncomingLike) => string | undefined;
  /** The port clients sign for when the Host header names none (default: 443 behind https, else 80). */
  defaultPort?: number;
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * A Fastify `preHandler` (also fine as a plain function of request and
 * reply): verifies the request with ticketd, sets `req.ozTicket`, or
 * answers ticketd's refusal itself (status, Boom body, `WWW-Authenticate`).
 *
 *   app.addHook('preHandler', hawkPreHandler({ baseUrl: 'http://127.0.0.1:5200', scope: 'mylet' }));
 */
export function hawkPreHandler(options: PreHandlerOptions) {
  return async (req: IncomingLike, reply: ReplyLike): Promise<void> => {
    const hostHeader = first(req.headers.host) ?? '';
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader);
    const proto = first(req.headers['x-forwarded-proto']);
    const received: ReceivedRequest = {
      method: req.method,
      url: req.url,
      host: m?.[1] ?? hostHeader,
      port: m?.[2] ?? options.defaultPort ?? (proto === 'https' ? 443 : 80),
      authorization: first(req.headers.authorization) ?? '',
    };
    const payload = options.payloadOf ? options.payloadOf(req) : typeof req.body === 'string' ? req.body : undefined;
    if (payload !== undefined) {
      received.payload = payload;
      const contentType = first(req.headers['content-type']);
      if (contentType !== undefined) received.contentType = contentType;
    }
    try {
      const { ticket } = await verifyRequest(options, received);
      if (options.scope !== undefined && !ticket.scope.includes(options.scope)) {
        reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: 'Insufficient scope' });
        return;
      }
      req.ozTicket = ticket;
    } catch (err) {
      if (!(err instanceof OzError)) throw err;
      const challenge = err.headers['www-authenticate'];
      if (challenge) reply.header('WWW-Authenticate', challenge);
      reply.code(err.status).send(err.body);
    }
  };
}
