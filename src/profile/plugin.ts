import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireMaster, tokenActor } from '../core/access-tokens.js';
import { DomainError } from '../core/domain-error.js';
import { ApiError } from '../http/api-error.js';
import { sendApiError } from '../http/errors.js';
import { StoreUnavailableError } from '../store/types.js';
import { auditManagement } from './audit.js';
import type { ProfileSurface } from './context.js';
import { fromDomain, profileError } from './errors.js';
import { mergeParams, parseForm, parseJsonBody } from './params.js';
import { registerAccessTokenAll } from './routes/access-token-all.js';
import { registerAccessTokenCreate } from './routes/access-token-create.js';
import { registerAccessTokenDelete } from './routes/access-token-delete.js';
import { registerAccessTokenGet } from './routes/access-token-get.js';
import { registerAuthenticate } from './routes/authenticate.js';
import { registerPersistentLoginCreate } from './routes/persistent-login-create.js';
import { registerPersistentLoginDelete } from './routes/persistent-login-delete.js';
import { registerPersistentLoginGet } from './routes/persistent-login-get.js';
import { registerPersistentLoginRefresh } from './routes/persistent-login-refresh.js';
import { registerProfileByTicket } from './routes/profile-by-ticket.js';
import { registerProfileChangePassword } from './routes/profile-change-password.js';
import { registerProfileCreate } from './routes/profile-create.js';
import { registerProfileDelete } from './routes/profile-delete.js';
import { registerProfileDisable } from './routes/profile-disable.js';
import { registerProfileEnable } from './routes/profile-enable.js';
import { registerProfileGet } from './routes/profile-get.js';
import { registerProfileUpdate } from './routes/profile-update.js';
import { registerTenantAll } from './routes/tenant-all.js';
import { registerTenantCreate } from './routes/tenant-create.js';
import { registerTenantDelete } from './routes/tenant-delete.js';
import { registerTenantGet } from './routes/tenant-get.js';
import { registerTicketCreate } from './routes/ticket-create.js';
import { registerTicketGet } from './routes/ticket-get.js';
import { registerTicketInvalidate } from './routes/ticket-invalidate.js';

const NO_ROUTE = 'No such API endpoint (see /openapi.json)';

/** The Crafter Profile-compatible surface, mounted at /api/1. */
export async function profilePlugin(app: FastifyInstance, surface: ProfileSurface): Promise<void> {
  const { accessTokens } = surface.identity;
  app.decorateRequest('profileActor', null);

  // Bodies: form encoding (Crafter's clients) or a JSON object. Anything else is refused (415 → 400).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseForm(body as string));
  });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  // Every call: one parameter object, then the access token check (docs/profile.md), before validation.
  app.addHook('preValidation', async (req) => {
    const config = req.routeOptions.config;
    const params = mergeParams(req.query, config?.recordBody ? pick(req.body, 'accessTokenId') : req.body);
    req.query = params;
    const id = params.accessTokenId;
    try {
      const token = await accessTokens.authenticate(typeof id === 'string' ? id : undefined);
      req.profileActor = tokenActor(token);
      if (config?.masterOnly) requireMaster(req.profileActor);
    } catch (err) {
      // Answered as the check answers, whatever the route maps these codes to.
      if (err instanceof DomainError) throw profileError(fromDomain[err.code], err.message);
      throw err;
    }
  });

  if (surface.audit) auditManagement(app, surface.audit);

  app.setErrorHandler((err, req, reply) => sendApiError(toProfileError(err, req), reply));
  app.setNotFoundHandler((_req, reply: FastifyReply) => sendApiError(profileError('notFound', NO_ROUTE), reply));

  for (const route of [
    registerAuthenticate,
    registerTicketCreate,
    registerTicketGet,
    registerTicketInvalidate,
    registerPersistentLoginCreate,
    registerPersistentLoginGet,
    registerPersistentLoginRefresh,
    registerPersistentLoginDelete,
    registerProfileCreate,
    registerProfileByTicket,
    registerProfileGet,
    registerProfileUpdate,
    registerProfileEnable,
    registerProfileDisable,
    registerProfileDelete,
    registerProfileChangePassword,
    registerTenantCreate,
    registerTenantAll,
    registerTenantGet,
    registerTenantDelete,
    registerAccessTokenCreate,
    registerAccessTokenAll,
    registerAccessTokenGet,
    registerAccessTokenDelete,
  ]) {
    route(app, surface);
  }
}

function pick(body: unknown, key: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, key)) return {};
  return { [key]: (body as Record<string, unknown>)[key] };
}

/** Anything thrown while serving a profile request, as the surface's `{errorCode, message}`. */
export function toProfileError(err: unknown, req: FastifyRequest): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DomainError) {
    const name = req.routeOptions.config?.profileErrors?.[err.code] ?? fromDomain[err.code];
    const retry = err.details.retryAfterSeconds;
    return profileError(name, err.message, {}, retry === undefined ? {} : { 'Retry-After': String(retry) });
  }
  if (err instanceof StoreUnavailableError) {
    req.log.warn({ err: { message: err.message } }, 'store unavailable');
    return profileError('storeUnavailable', 'Store unavailable; retry later');
  }
  const fe = err as FastifyError;
  // A body refused (type, size, encoding) on the way to no route: the answer is that there is no route.
  if (req.is404 && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return profileError('notFound', NO_ROUTE);
  }
  if (fe.validation) return profileError('paramDeserialization', validationMessage(fe));
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return profileError('bodyTooLarge', 'Request body too large');
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return profileError(
      'paramDeserialization',
      'Unsupported content type: send application/x-www-form-urlencoded or application/json',
    );
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Malformed requests Fastify refuses before a route runs (bad Content-Length, aborted body...).
    return profileError('paramDeserialization', 'Malformed request');
  }
  const errorId = randomUUID();
  req.log.error({ err, error_id: errorId }, 'internal error');
  return profileError('other', 'Internal server error', { errorId }, { 'Error-Id': errorId });
}

function validationMessage(fe: FastifyError): string {
  const first = fe.validation?.[0];
  if (!first) return 'Invalid parameters';
  const params = first.params as Record<string, unknown>;
  const path = first.instancePath.replace(/^\//, '').replaceAll('/', '.');
  if (first.keyword === 'required') {
    const name = path ? `${path}.${String(params.missingProperty)}` : String(params.missingProperty);
    return `Required parameter "${name}" is missing`;
  }
  return `Parameter "${path || fe.validationContext || 'body'}" is invalid: ${first.message ?? 'bad value'}`;
}
