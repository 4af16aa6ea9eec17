import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFAULT_TENANT } from '../core/tenant-settings.js';
import { parseTicketBody } from './body.js';
import type { TicketSurface } from './context.js';
import { ticketError } from './errors.js';
import { registerCreate } from './routes/create.js';
import { registerDelete } from './routes/delete.js';
import { registerPeek } from './routes/peek.js';
import { registerUse } from './routes/use.js';

/** The Authen-compatible surface, mounted at /v1/tickets. */
export async function ticketsPlugin(app: FastifyInstance, surface: TicketSurface): Promise<void> {
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
  app.addHook('onRequest', async (req) => {
    // The content type plays no part here; dropping it keeps Fastify from
    // refusing a malformed one (415) before the parser above sees the body.
    delete req.headers['content-type'];
    let name = DEFAULT_TENANT;
    if (surface.multiTenancy) {
      const header = req.headers.project;
      if (typeof header !== 'string' || header === '') throw ticketError('projectMissing');
      name = header;
    }
    const tenant = await surface.tenants.get(name);
    if (!tenant) throw ticketError('projectUnknown');
    req.ticketTenant = tenant;
  });

  // A body-less request (no Content-Length at all) is an empty body.
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined || req.body === null) req.body = {};
  });

  for (const route of [registerCreate, registerUse, registerDelete, registerPeek]) route(app, surface);
}
