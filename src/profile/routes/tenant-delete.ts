import type { FastifyInstance } from 'fastify';
import { tenantView } from '../../core/tenants.js';
import { actorOf, type ProfileSurface } from '../context.js';
import { errorReplies, NamePath, NoParams, TenantReply } from '../schemas.js';

export function registerTenantDelete(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Params: NamePath }>(
    '/tenant/:name/delete',
    {
      config: { audit: 'tenant.delete' },
      schema: {
        summary: 'Delete a tenant with its tickets, profiles and sessions; returns it as it was',
        description: 'Needs DELETE_TENANT on it. Tenant `default` cannot be deleted (403 ACTION_DENIED).',
        tags: ['profile'],
        params: NamePath,
        querystring: NoParams,
        response: { 200: TenantReply, ...errorReplies },
      },
    },
    async (req) => tenantView(await identity.tenantAdmin.delete(actorOf(req), req.params.name)),
  );
}
