import type { FastifyInstance } from 'fastify';
import { actorOf, type ProfileSurface } from '../context.js';
import { errorReplies, PersistentLoginReply, ProfileIdParams } from '../schemas.js';

export function registerPersistentLoginCreate(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Querystring: ProfileIdParams }>(
    '/authentication/persistent_login/create',
    {
      schema: {
        summary: 'Create a persistent login ("remember me") for a profile',
        description: 'Needs MANAGE_TICKETS on the profile’s tenant. Lives persistentLoginMaxAge from its timestamp.',
        tags: ['profile'],
        querystring: ProfileIdParams,
        response: { 200: PersistentLoginReply, ...errorReplies },
      },
    },
    async (req) => identity.logins.createPersistentLogin(actorOf(req), req.query.profileId),
  );
}
