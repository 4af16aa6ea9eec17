import type { FastifyInstance } from 'fastify';
import { TenantSettingsSchema } from '../../core/tenant-settings.js';
import { tenantView } from '../../core/tenants.js';
import { actorOf, type ProfileSurface } from '../context.js';
import { errorReplies, TenantCreateBody, TenantReply } from '../schemas.js';

const SETTING_NAMES = Object.keys(TenantSettingsSchema.properties);

export function registerTenantCreate(app: FastifyInstance, { identity }: ProfileSurface): void {
  app.post<{ Body: TenantCreateBody }>(
    '/tenant/create',
    {
      config: { audit: 'tenant.create', recordBody: true },
      schema: {
        summary: 'Create a tenant',
        description:
          'JSON body. Needs CREATE_TENANT on the new tenant’s name (or `*`). Unset settings take their defaults.',
        tags: ['profile'],
        body: TenantCreateBody,
        response: { 200: TenantReply, ...errorReplies },
      },
    },
    async (req) => {
      const body = req.body as Record<string, unknown>;
      const settings = Object.fromEntries(SETTING_NAMES.filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
      return tenantView(await identity.tenantAdmin.create(actorOf(req), req.body.name, settings));
    },
  );
}
