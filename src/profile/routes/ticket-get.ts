import type { FastifyInstance } from 'fastify';
import { actorOf, type ProfileSurface } from '../context.js';
import { errorReplies, IdPath, NoParams, TicketReply } from '../schemas.js';

export function registerTicketGet(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.get<{ Params: IdPath }>(
    '/authentication/ticket/:id',
    {
      schema: {
        summary: 'Get a login ticket; its lastRequestTime moves to now (sliding expiry)',
        description: 'Needs MANAGE_TICKETS on the ticket’s tenant. Unknown or expired: 404 NO_SUCH_TICKET.',
        tags: ['profile'],
        params: IdPath,
        querystring: NoParams,
        response: { 200: TicketReply, ...errorReplies },
      },
    },
    async (req) => identity.logins.getTicket(actorOf(req), req.params.id),
  );
}
