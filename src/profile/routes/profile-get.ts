import type { FastifyInstance } from 'fastify';
import { publicProfile } from '../../core/profiles.js';
import { actorOf, type ProfileSurface } from '../context.js';
import { AttributesToReturnParams, errorReplies, IdPath, ProfileReply } from '../schemas.js';

export function registerProfileGet(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.get<{ Params: IdPath; Querystring: AttributesToReturnParams }>(
    '/profile/:id',
    {
      schema: {
        summary: 'Get a profile',
        description: 'Needs MANAGE_PROFILES on its tenant. A malformed id is 404 NO_SUCH_PROFILE.',
        tags: ['profile'],
        params: IdPath,
        querystring: AttributesToReturnParams,
        response: { 200: ProfileReply, ...errorReplies },
      },
    },
    async (req) => publicProfile(await identity.profiles.get(actorOf(req), req.params.id), req.query.attributeToReturn),
  );
}
