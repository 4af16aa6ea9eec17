import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { StoreUnavailableError } from '../store/types.js';
import { ticketError } from '../tickets/errors.js';
import { toInvalidFields } from '../tickets/validation.js';
import { ApiError } from './api-error.js';

/**
 * Turns anything thrown while serving a request into the ticket surface's
 * (Authen's) error model. Other surfaces install their own handler in their
 * scope and fall back to `classify` for what is not theirs.
 */
export function toApiError(err: unknown, req: FastifyRequest): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreUnavailableError) {
    req.log.warn({ err: { message: err.message } }, 'store unavailable');
    return ticketError('storeUnavailable');
  }
  const fe = err as FastifyError;
  // Fastify reads (and may refuse) a body before its 404 handler runs: a request
  // for no route is "not found" whatever its body or content type.
  if (req.is404 && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return ticketError('notFound');
  }
  if (fe.validation) return ticketError('invalidData', { invalid: toInvalidFields(fe.validation) });
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return ticketError('bodyTooLarge');
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Malformed requests Fastify refuses before a route runs (bad Content-Length, aborted body...).
    return ticketError('invalidJson');
  }
  const errorId = randomUUID();
  req.log.error({ err, error_id: errorId }, 'internal error');
  const e = ticketError('internal', { error_id: errorId });
  return new ApiError(e.status, e.body, { 'Error-Id': errorId });
}

export function sendApiError(e: ApiError, reply: FastifyReply): FastifyReply {
  return reply.code(e.status).headers(e.headers).send(e.body);
}
