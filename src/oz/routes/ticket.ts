import type { FastifyInstance } from 'fastify';
import { authenticateApp, NO_VALIDATION, type OzSurface, sendJson } from '../context.js';
import { boomReplies, readBody, TicketReply, TicketRequest } from '../schemas.js';

export function registerTicket(app: FastifyInstance, surface: OzSurface): void {
  app.post(
    '/v1/ticket',
    {
      schema: {
        summary: 'Exchange a session for a user ticket',
        description:
          'Hawk-signed with the app’s own credentials (id = the app id). The session must be a live profile ' +
          'login ticket of an enabled profile of the app’s tenant (else 401 Invalid session); it is slid, as a ' +
          'profile request would. Creates a grant (the app’s scope, 30 days) — or reuses the live grant this ' +
          'session already gave this app — and answers a user ticket (1 hour, never past the grant).',
        tags: ['oz'],
        body: TicketRequest,
        response: { 200: TicketReply, ...boomReplies },
      },
      validatorCompiler: NO_VALIDATION,
    },
    async (req, reply) => {
      const credentials = await authenticateApp(req, surface);
      const { session } = readBody(req.body, TicketRequest);
      const ticket = await surface.service.exchangeSession(credentials, session);
      return sendJson(req, reply, surface, 200, ticket);
    },
  );
}
