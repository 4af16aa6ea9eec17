import type { FastifyInstance } from 'fastify';
import { authenticateTicket, NO_VALIDATION, type OzSurface, sendJson } from '../context.js';
import { ozError } from '../errors.js';
import { boomReplies, RsvpExchangeRequest, readBody, TicketReply } from '../schemas.js';

/** `POST /oz/rsvp` (Oz's endpoint): an app ticket and an rsvp → a user ticket. Registered under the /oz prefix. */
export function registerOzRsvp(app: FastifyInstance, surface: OzSurface): void {
  app.post(
    '/rsvp',
    {
      schema: {
        summary: 'Exchange an rsvp for a user ticket (Oz)',
        description:
          'Hawk-signed with an app ticket (not expired: 401 Expired ticket, `expired: true`, and Oz clients ' +
          'reissue it). The rsvp (from POST /v1/rsvp, 60 s) must be for this app, and its grant live: 403 ' +
          'otherwise, as Oz answers.',
        tags: ['oz'],
        body: RsvpExchangeRequest,
        response: { 200: TicketReply, ...boomReplies },
      },
      validatorCompiler: NO_VALIDATION,
    },
    async (req, reply) => {
      const ticket = await authenticateTicket(req, surface, true);
      if (ticket.user !== undefined) throw ozError('userTicketOnAppEndpoint');
      const { rsvp } = readBody(req.body, RsvpExchangeRequest);
      return sendJson(req, reply, surface, 200, await surface.service.exchangeRsvp(ticket, rsvp));
    },
  );
}
