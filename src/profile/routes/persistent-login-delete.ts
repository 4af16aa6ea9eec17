import type { FastifyInstance } from 'fastify';
import { actorOf, type ProfileSurface } from '../context.js';
import { EmptyReply, errorReplies, IdPath, NoParams } from '../schemas.js';

export function registerPersistentLoginDelete(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Params: IdPath }>(
    '/authentication/persistent_login/:id/delete',
    {
      schema: {
        summary: 'Delete a persistent login',
        description: 'Needs MANAGE_TICKETS on its tenant. An unknown one is a no-op (200).',
        tags: ['profile'],
        params: IdPath,
        querystring: NoParams,
        response: { 200: EmptyReply, ...errorReplies },
      },
    },
    async (req, reply) => {
      await identity.logins.deletePersistentLogin(actorOf(req), req.params.id);
      return reply.code(200).send();
    },
  );
}
