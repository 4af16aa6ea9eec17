import type { FastifyInstance } from 'fastify';
import { publicProfile } from '../../core/profiles.js';
import { actorOf, type ProfileSurface } from '../context.js';
import { ByTicketParams, errorReplies, ProfileReply } from '../schemas.js';

export function registerProfileByTicket(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.get<{ Querystring: ByTicketParams }>(
    '/profile/by_ticket',
    {
      config: { profileErrors: { NO_SUCH_TICKET: 'noSuchTicketByTicket' } },
      schema: {
        summary: 'Get the profile of a login ticket (refreshes the ticket)',
        description:
          'Needs MANAGE_TICKETS and MANAGE_PROFILES on the ticket’s tenant. Unknown or expired ticket: 400 NO_SUCH_TICKET.',
        tags: ['profile'],
        querystring: ByTicketParams,
        response: { 200: ProfileReply, ...errorReplies },
      },
    },
    async (req) =>
      publicProfile(
        await identity.logins.profileByTicket(actorOf(req), req.query.ticketId),
        req.query.attributeToReturn,
      ),
  );
}
