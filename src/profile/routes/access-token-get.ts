import type { FastifyInstance } from 'fastify';
import { actorOf, type ProfileSurface } from '../context.js';
import { AccessTokenReply, errorReplies, IdPath, NoParams } from '../schemas.js';

export function registerAccessTokenGet(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.get<{ Params: IdPath }>(
    '/access_token/:id',
    {
      config: { masterOnly: true, profileErrors: { NO_SUCH_ACCESS_TOKEN_ID: 'noSuchAccessTokenToRead' } },
      schema: {
        summary: 'Get an access token (master token only)',
        tags: ['profile'],
        params: IdPath,
        querystring: NoParams,
        response: { 200: AccessTokenReply, ...errorReplies },
      },
    },
    async (req) => identity.accessTokens.get(actorOf(req), req.params.id),
  );
}
