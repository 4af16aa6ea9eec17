import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiError } from '../http/api-error.js';
import { StoreUnavailableError } from '../store/types.js';
import { type OzRoute, type OzSurface, sendJson } from './context.js';
import { OzError, ozError, toBoom } from './errors.js';
import { registerAuthenticate } from './routes/authenticate.js';
import { registerOzApp } from './routes/oz-app.js';
import { registerOzRsvp } from './routes/oz-rsvp.js';
import { registerOzReissue, registerTicketReissue } from './routes/reissue.js';
import { registerRsvpCreate } from './routes/rsvp-create.js';
import { registerTicket } from './routes/ticket.js';
import { BoomReply } from './schemas.js';

/** Routes at their full paths (`/v1/ticket...`). */
const V1_ROUTES: OzRoute[] = [registerTicket, registerTicketReissue, registerAuthenticate, registerRsvpCreate];
/** Oz's standard endpoints, under `/oz`. */
const OZ_ROUTES: OzRoute[] = [registerOzApp, registerOzReissue, registerOzRsvp];

/**
 * The Oz surface: `/v1/ticket`, `/v1/ticket/reissue` (and `/refresh`),
 * and Oz's own `/oz/*` endpoints. Bodies are kept as raw bytes until the
 * Hawk signature (and payload hash) is verified; answers are Boom-shaped and
 * carry `Server-Authorization` once the request is verified.
 */
export async function ozPlugin(app: FastifyInstance, surface: OzSurface): Promise<void> {
  app.addSchema(BoomReply);
  app.decorateRequest('ozAuth', null);
  app.decorateRequest('ozContentType', undefined);

  // The content type is part of the payload hash: keep it, then drop the
  // header so that Fastify never refuses a body for its type (every body is JSON here).
  app.addHook('onRequest', async (req) => {
    const type = req.headers['content-type'];
    req.ozContentType = type;
    delete req.headers['content-type'];
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err, req, reply) => sendOzError(toOzAnswer(err, req), req, reply, surface));

  for (const route of V1_ROUTES) route(app, surface);
  await app.register(
    async (oz) => {
      oz.setNotFoundHandler((req, reply) => sendOzError(toBoom(ozError('notFound')), req, reply, surface));
      for (const route of OZ_ROUTES) route(oz, surface);
    },
    { prefix: '/oz' },
  );
}

/** Anything thrown while serving an Oz request, as a Boom-shaped answer. */
export function toOzAnswer(err: unknown, req: FastifyRequest): ApiError {
  if (err instanceof OzError) return toBoom(err);
  if (err instanceof StoreUnavailableError) {
    req.log.warn({ err: { message: err.message } }, 'store unavailable');
    return toBoom(ozError('storeUnavailable'));
  }
  const fe = err as FastifyError;
  // A body refused (size, encoding) on the way to no route: the answer is that there is no route.
  if (req.is404 && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return toBoom(ozError('notFound'));
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = req.routeOptions.bodyLimit;
    return toBoom(ozError('payloadTooLarge', `Payload content length greater than maximum allowed: ${limit}`));
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Malformed requests Fastify refuses before a route runs (bad Content-Length, aborted body...).
    return toBoom(ozError('badRequest', 'Malformed request'));
  }
  const errorId = randomUUID();
  req.log.error({ err, error_id: errorId }, 'internal error');
  return toBoom(ozError('internal', undefined, { errorId }), { 'Error-Id': errorId });
}

/** An error answer, signed (`Server-Authorization`) when the request was verified before it failed. */
function sendOzError(e: ApiError, req: FastifyRequest, reply: FastifyReply, surface: OzSurface): FastifyReply {
  if (e.status === 401) surface.events?.emit('oz.refused', { reason: String(e.body.message) });
  return sendJson(req, reply.headers(e.headers), surface, e.status, e.body);
}
