import type { FastifyInstance } from 'fastify';
import { publicProfile } from '../../core/profiles.js';
import { actorOf, type ProfileSurface } from '../context.js';
import { AttributesToReturnParams, errorReplies, IdPath, ProfileReply } from '../schemas.js';

export function registerProfileDelete(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Params: IdPath; Querystring: AttributesToReturnParams }>(
    '/profile/:id/delete',
    {
      config: { audit: 'profile.delete' },
      schema: {
        summary: 'Delete a profile with its sessions; returns it as it was',
        description: 'Needs MANAGE_PROFILES on its tenant.',
        tags: ['profile'],
        params: IdPath,
        querystring: AttributesToReturnParams,
        response: { 200: ProfileReply, ...errorReplies },
      },
    },
    async (req) =>
      publicProfile(await identity.profiles.delete(actorOf(req), req.params.id), req.query.attributeToReturn),
  );
}
