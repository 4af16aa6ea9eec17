import type { FastifyInstance } from 'fastify';
import { publicProfile } from '../../core/profiles.js';
import { actorOf, type ProfileSurface } from '../context.js';
import { AttributesToReturnParams, errorReplies, IdPath, ProfileReply } from '../schemas.js';

export function registerProfileDisable(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Params: IdPath; Querystring: AttributesToReturnParams }>(
    '/profile/:id/disable',
    {
      config: { audit: 'profile.disable' },
      schema: {
        summary: 'Disable a profile; ends its sessions',
        description: 'Needs MANAGE_PROFILES on its tenant. Its login tickets and persistent logins end.',
        tags: ['profile'],
        params: IdPath,
        querystring: AttributesToReturnParams,
        response: { 200: ProfileReply, ...errorReplies },
      },
    },
    async (req) =>
      publicProfile(await identity.profiles.disable(actorOf(req), req.params.id), req.query.attributeToReturn),
  );
}
