import type { FastifyInstance } from 'fastify';
import { actorOf, type ProfileSurface } from '../context.js';
import { AccessTokenCreateBody, AccessTokenReply, errorReplies } from '../schemas.js';

export function registerAccessTokenCreate(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Body: AccessTokenCreateBody }>(
    '/access_token/create',
    {
      config: { audit: 'access-token.create', recordBody: true, masterOnly: true },
      schema: {
        summary: 'Create an access token (master token only)',
        description: 'JSON body. `expiresOn` is epoch milliseconds or an ISO 8601 date; absent or null: never expires.',
        tags: ['profile'],
        body: AccessTokenCreateBody,
        response: { 200: AccessTokenReply, ...errorReplies },
      },
    },
    async (req) => {
      const b = req.body;
      const expiresOn = typeof b.expiresOn === 'string' ? Date.parse(b.expiresOn) : (b.expiresOn ?? null);
      return identity.accessTokens.create(actorOf(req), {
        id: b.id,
        application: b.application,
        master: b.master ?? false,
        tenantPermissions: b.tenantPermissions ?? [],
        expiresOn: Number.isFinite(expiresOn) ? expiresOn : null,
      });
    },
  );
}
