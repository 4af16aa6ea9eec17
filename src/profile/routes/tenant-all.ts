import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { tenantView } from '../../core/tenants.js';
import { actorOf, type ProfileSurface } from '../context.js';
import { errorReplies, NoParams, TenantReply } from '../schemas.js';

export function registerTenantAll(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.get(
    '/tenant/all',
    {
      schema: {
        summary: 'List the tenants the access token may read',
        description: 'Every tenant on which the token has READ_TENANT, by name.',
        tags: ['profile'],
        querystring: NoParams,
        response: { 200: Type.Array(TenantReply), ...errorReplies },
      },
    },
    async (req) => (await identity.tenantAdmin.list(actorOf(req))).map(tenantView),
  );
}
