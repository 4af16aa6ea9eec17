import type { FastifyInstance } from 'fastify';
import { tenantView } from '../../core/tenants.js';
import { actorOf, type ProfileSurface } from '../context.js';
import { errorReplies, NamePath, NoParams, TenantReply } from '../schemas.js';

export function registerTenantGet(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.get<{ Params: NamePath }>(
    '/tenant/:name',
    {
      schema: {
        summary: 'Get a tenant',
        description: 'Needs READ_TENANT on it.',
        tags: ['profile'],
        params: NamePath,
        querystring: NoParams,
        response: { 200: TenantReply, ...errorReplies },
      },
    },
    async (req) => tenantView(await identity.tenantAdmin.get(actorOf(req), req.params.name)),
  );
}
