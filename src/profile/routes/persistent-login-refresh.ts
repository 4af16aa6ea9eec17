import type { FastifyInstance } from 'fastify';
import { actorOf, type ProfileSurface } from '../context.js';
import { errorReplies, IdPath, NoParams, PersistentLoginReply } from '../schemas.js';

export function registerPersistentLoginRefresh(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Params: IdPath }>(
    '/authentication/persistent_login/:id/refresh_token',
    {
      schema: {
        summary: 'Give a persistent login a new token',
        description:
          'Needs MANAGE_TICKETS on its tenant. The timestamp moves to now, so the login lives persistentLoginMaxAge from now.',
        tags: ['profile'],
        params: IdPath,
        querystring: NoParams,
        response: { 200: PersistentLoginReply, ...errorReplies },
      },
    },
    async (req) => identity.logins.refreshPersistentLogin(actorOf(req), req.params.id),
  );
}
