import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../core/access-tokens.js';
import { DEFAULT_TENANT } from '../core/tenant-settings.js';
import { ApiError } from '../http/api-error.js';
import { bearerToken } from '../http/bearer.js';
import type { TenantRecord } from '../store/types.js';
import { parseTicketBody } from './body.js';
import type { TicketSurface } from './context.js';
import { ticketError } from './errors.js';
import { registerCreate } from './routes/create.js';
import { registerDelete } from './routes/delete.js';
import { registerPeek } from './routes/peek.js';
import { registerUse } from './routes/use.js';

/** The bearer access-token check, on when `tickets.require_token` is set. */
export interface TicketAuth {
  /** The actor of a live access token; null when it is unknown or expired. */
  actorFor(token: string): Promise<Actor | null>;
}

function unauthorized(): ApiError {
  const e = ticketError('unauthorized');
  return new ApiError(e.status, e.body, { 'WWW-Authenticate': 'Bearer realm="ticketd"' });
}

/** The Authen-compatible surface, mounted at /v1/tickets. */
export async function ticketsPlugin(
  app: FastifyInstance,
  surface: TicketSurface & { auth?: TicketAuth | undefined },
): Promise<void> {
  app.decorateRequest('ticketTenant', null);
  app.decorateRequest('ticketPayloadJson', undefined);

  // Authen reads every body as JSON whatever its content type (curl -d sends form encoding).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, raw, done) => {
    try {
      const parsed = parseTicketBody(raw as Buffer);
      (req as FastifyRequest).ticketPayloadJson = parsed.payloadJson;
      done(null, parsed.body);
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  // The project is checked before the body is read, as Authen's middleware does.
  // Callback-style, and synchronous while the tenant is cached: this runs on every ticket request.
  app.addHook('onRequest', (req, _reply, done) => {
    // The content type plays no part here; dropping it keeps Fastify from
    // refusing a malformed one (415) before the parser above sees the body.
    req.headers['content-type'] = undefined;
    let name = DEFAULT_TENANT;
    if (surface.multiTenancy) {
      const header = req.headers.project;
      if (typeof header !== 'string' || header === '') return done(ticketError('projectMissing'));
      name = header;
    }
    if (!surface.auth) {
      const cached = surface.tenants.cached(name);
      if (cached !== undefined) return done(cached ? accept(req, cached) : ticketError('projectUnknown'));
    }
    resolveTenant(req, name).then(() => done(), done);
  });

  /** With tickets.require_token: who calls (401) before which project, so that projects cannot be probed; then may it (403). */
  async function resolveTenant(req: FastifyRequest, name: string): Promise<void> {
    let actor: Actor | null = null;
    if (surface.auth) {
      const token = bearerToken(req.headers.authorization);
      actor = token === undefined ? null : await surface.auth.actorFor(token);
      if (!actor) throw unauthorized();
    }
    const tenant = await surface.tenants.get(name);
    if (!tenant) throw ticketError('projectUnknown');
    if (actor && !actor.can(tenant.name, 'MANAGE_TICKETS')) throw ticketError('forbidden');
    accept(req, tenant);
  }

  function accept(req: FastifyRequest, tenant: TenantRecord): undefined {
    req.ticketTenant = tenant;
    return undefined;
  }

  // A body-less request (no Content-Length at all) is an empty body.
  app.addHook('preValidation', (req, _reply, done) => {
    if (req.body === undefined || req.body === null) req.body = {};
    done();
  });

  for (const route of [registerCreate, registerUse, registerDelete, registerPeek]) route(app, surface);
}
