import type { FastifyInstance } from 'fastify';
import { actorOf, type ProfileSurface } from '../context.js';
import { AccessTokenReply, errorReplies, IdPath, NoParams } from '../schemas.js';

export function registerAccessTokenDelete(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Params: IdPath }>(
    '/access_token/:id/delete',
    {
      config: {
        audit: 'access-token.delete',
        masterOnly: true,
        profileErrors: { NO_SUCH_ACCESS_TOKEN_ID: 'noSuchAccessTokenToRead' },
      },
      schema: {
        summary: 'Delete an access token (master token only); returns it as it was',
        description: 'Other instances stop accepting it within a second (their lookup cache).',
        tags: ['profile'],
        params: IdPath,
        querystring: NoParams,
        response: { 200: AccessTokenReply, ...errorReplies },
      },
    },
    async (req) => identity.accessTokens.delete(actorOf(req), req.params.id),
  );
}
