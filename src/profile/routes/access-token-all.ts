import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { actorOf, type ProfileSurface } from '../context.js';
import { AccessTokenReply, errorReplies, NoParams } from '../schemas.js';

export function registerAccessTokenAll(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.get(
    '/access_token/all',
    {
      config: { masterOnly: true },
      schema: {
        summary: 'List every access token (master token only)',
        description: 'Ids are stored hashed, so listings carry `idPrefix` and `id: null`.',
        tags: ['profile'],
        querystring: NoParams,
        response: { 200: Type.Array(AccessTokenReply), ...errorReplies },
      },
    },
    async (req) => identity.accessTokens.list(actorOf(req)),
  );
}
