import type { FastifyInstance } from 'fastify';
import { actorOf, type ProfileSurface } from '../context.js';
import { errorReplies, ProfileIdParams, TicketReply } from '../schemas.js';

export function registerTicketCreate(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Querystring: ProfileIdParams }>(
    '/authentication/ticket/create',
    {
      schema: {
        summary: 'Create a login ticket for a profile authenticated by other means',
        description: 'Needs MANAGE_TICKETS on the profile’s tenant.',
        tags: ['profile'],
        querystring: ProfileIdParams,
        response: { 200: TicketReply, ...errorReplies },
      },
    },
    async (req) => identity.logins.createTicket(actorOf(req), req.query.profileId),
  );
}
