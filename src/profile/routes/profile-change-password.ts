import type { FastifyInstance } from 'fastify';
import { publicProfile } from '../../core/profiles.js';
import { actorOf, type ProfileSurface } from '../context.js';
import { ChangePasswordParams, errorReplies, IdPath, ProfileReply } from '../schemas.js';

export function registerProfileChangePassword(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Params: IdPath; Querystring: ChangePasswordParams }>(
    '/profile/:id/change_password',
    {
      config: { audit: 'profile.change-password' },
      schema: {
        summary: 'Set a new password; ends every session of the profile',
        description: 'Needs MANAGE_PROFILES on its tenant.',
        tags: ['profile'],
        params: IdPath,
        querystring: ChangePasswordParams,
        response: { 200: ProfileReply, ...errorReplies },
      },
    },
    async (req) =>
      publicProfile(
        await identity.profiles.changePassword(actorOf(req), req.params.id, req.query.newPassword),
        req.query.attributeToReturn,
      ),
  );
}
