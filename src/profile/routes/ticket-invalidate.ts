import type { FastifyInstance } from 'fastify';
import { actorOf, type ProfileSurface } from '../context.js';
import { EmptyReply, errorReplies, IdPath, NoParams } from '../schemas.js';

export function registerTicketInvalidate(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Params: IdPath }>(
    '/authentication/ticket/:id/invalidate',
    {
      schema: {
        summary: 'Invalidate a login ticket (log out)',
        description: 'Needs MANAGE_TICKETS on the ticket’s tenant. An unknown ticket is a no-op (200).',
        tags: ['profile'],
        params: IdPath,
        querystring: NoParams,
        response: { 200: EmptyReply, ...errorReplies },
      },
    },
    async (req, reply) => {
      await identity.logins.invalidateTicket(actorOf(req), req.params.id);
      return reply.code(200).send();
    },
  );
}
