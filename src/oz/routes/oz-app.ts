import type { FastifyInstance } from 'fastify';
import { authenticateApp, NO_VALIDATION, type OzSurface, sendJson } from '../context.js';
import { boomReplies, TicketReply } from '../schemas.js';

/** `POST /oz/app` (Oz's endpoint): an app ticket. Registered under the /oz prefix. */
export function registerOzApp(app: FastifyInstance, surface: OzSurface): void {
  app.post(
    '/app',
    {
      schema: {
        summary: 'Get an app ticket (Oz)',
        description:
          'Hawk-signed with the app’s own credentials (id = the app id). Answers an app ticket (the app’s scope, ' +
          '1 hour): a ticket without grant and user, for /oz/rsvp and /oz/reissue. The body is ignored.',
        tags: ['oz'],
        response: { 200: TicketReply, ...boomReplies },
      },
      validatorCompiler: NO_VALIDATION,
    },
    async (req, reply) => {
      const credentials = await authenticateApp(req, surface);
      return sendJson(req, reply, surface, 200, await surface.service.appTicket(credentials));
    },
  );
}
