import type { FastifyInstance } from 'fastify';
import { publicProfile } from '../../core/profiles.js';
import { actorOf, type ProfileSurface } from '../context.js';
import { parseBool, parseJsonObject } from '../params.js';
import { errorReplies, ProfileCreateParams, ProfileReply } from '../schemas.js';

export function registerProfileCreate(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Querystring: ProfileCreateParams }>(
    '/profile/create',
    {
      config: { audit: 'profile.create' },
      schema: {
        summary: 'Create a profile',
        description:
          'Needs MANAGE_PROFILES on the tenant. With the tenant’s verifyNewProfiles on, the profile starts disabled.',
        tags: ['profile'],
        querystring: ProfileCreateParams,
        response: { 200: ProfileReply, ...errorReplies },
      },
    },
    async (req) => {
      const q = req.query;
      const profile = await identity.profiles.create(actorOf(req), {
        tenant: q.tenantName,
        username: q.username,
        password: q.password,
        email: q.email,
        enabled: parseBool('enabled', q.enabled) ?? true,
        roles: q.role ?? [],
        attributes: parseJsonObject('attributes', q.attributes) ?? {},
      });
      return publicProfile(profile, q.attributeToReturn);
    },
  );
}
