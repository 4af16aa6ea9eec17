import type { FastifyInstance } from 'fastify';
import { publicProfile } from '../../core/profiles.js';
import { actorOf, type ProfileSurface } from '../context.js';
import { parseBool, parseJsonObject } from '../params.js';
import { errorReplies, IdPath, ProfileReply, ProfileUpdateParams } from '../schemas.js';

export function registerProfileUpdate(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Params: IdPath; Querystring: ProfileUpdateParams }>(
    '/profile/:id/update',
    {
      config: { audit: 'profile.update' },
      schema: {
        summary: 'Update a profile',
        description:
          'Needs MANAGE_PROFILES on its tenant. Absent parameters keep their value; attributes are merged. ' +
          'A new password, or enabled=false, ends every session of the profile.',
        tags: ['profile'],
        params: IdPath,
        querystring: ProfileUpdateParams,
        response: { 200: ProfileReply, ...errorReplies },
      },
    },
    async (req) => {
      const q = req.query;
      const profile = await identity.profiles.update(actorOf(req), req.params.id, {
        username: q.username,
        password: q.password,
        email: q.email,
        enabled: parseBool('enabled', q.enabled),
        roles: q.role,
        attributes: parseJsonObject('attributes', q.attributes),
      });
      return publicProfile(profile, q.attributeToReturn);
    },
  );
}
