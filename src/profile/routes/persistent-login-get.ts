import type { FastifyInstance } from 'fastify';
import { actorOf, type ProfileSurface } from '../context.js';
import { errorReplies, IdPath, NoParams, PersistentLoginReply } from '../schemas.js';

export function registerPersistentLoginGet(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.get<{ Params: IdPath }>(
    '/authentication/persistent_login/:id',
    {
      schema: {
        summary: 'Get a persistent login',
        description: 'Needs MANAGE_TICKETS on its tenant. Unknown or expired: 404 NO_SUCH_PERSISTENT_LOGIN.',
        tags: ['profile'],
        params: IdPath,
        querystring: NoParams,
        response: { 200: PersistentLoginReply, ...errorReplies },
      },
    },
    async (req) => identity.logins.getPersistentLogin(actorOf(req), req.params.id),
  );
}
