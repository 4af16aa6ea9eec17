import type { FastifyInstance } from 'fastify';
import { publicProfile } from '../../core/profiles.js';
import { actorOf, type ProfileSurface } from '../context.js';
import { AttributesToReturnParams, errorReplies, IdPath, ProfileReply } from '../schemas.js';

export function registerProfileEnable(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Params: IdPath; Querystring: AttributesToReturnParams }>(
    '/profile/:id/enable',
    {
      config: { audit: 'profile.enable' },
      schema: {
        summary: 'Enable a profile',
        description: 'Needs MANAGE_PROFILES on its tenant.',
        tags: ['profile'],
        params: IdPath,
        querystring: AttributesToReturnParams,
        response: { 200: ProfileReply, ...errorReplies },
      },
    },
    async (req) =>
      publicProfile(await identity.profiles.enable(actorOf(req), req.params.id), req.query.attributeToReturn),
  );
}
