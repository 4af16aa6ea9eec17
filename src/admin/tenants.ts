import { Type } from '@sinclair/typebox';
import { SYSTEM_ACTOR } from '../core/access-tokens.js';
import type { TenantSettings } from '../core/tenant-settings.js';
import { tenantView as coreTenantView } from '../core/tenants.js';
import type { TenantRecord } from '../store/types.js';
import { type AdminOperation, type CliView, defineOperation } from './operation.js';
import { params, TENANT_NAME, Tenant, TenantName, TenantSettingsInput } from './schemas.js';

/** A tenant as the admin API answers it: its name, every setting, its creation time. */
export const tenantView = (t: TenantRecord) => ({ ...coreTenantView(t), createdAt: t.createdAt });

const SETTING_NAMES = Object.keys(TenantSettingsInput) as (keyof TenantSettings)[];

/** The settings present in the parameters. */
function settingsOf(p: Record<string, unknown>): Partial<TenantSettings> {
  return Object.fromEntries(SETTING_NAMES.filter((k) => p[k] !== undefined).map((k) => [k, p[k]]));
}

const tenantTable: CliView = {
  rows: (r) => r as Record<string, unknown>[],
  columns: [
    { header: 'NAME', key: 'name' },
    { header: 'TICKET MAX', key: 'ticketMax' },
    { header: 'PAYLOAD MAX', key: 'ticketMaxPayloadLength' },
    { header: 'LOGIN TTL', key: 'loginTicketMaxAge' },
    { header: 'LOCK AFTER', key: 'failedLoginAttemptsBeforeLock' },
    { header: 'VERIFY', key: 'verifyNewProfiles' },
    { header: 'ROLES', key: 'availableRoles' },
    { header: 'CREATED', key: 'createdAt' },
  ],
};

const byName = params({ name: TenantName });

export const tenantOperations: AdminOperation[] = [
  defineOperation({
    resource: 'tenant',
    verb: 'list',
    summary: 'List tenants with their settings, by name',
    method: 'GET',
    path: '/tenants',
    params: params({}),
    result: Type.Array(Tenant),
    errors: [],
    cli: { view: tenantTable },
    run: async ({ identity }) => (await identity.tenantAdmin.list(SYSTEM_ACTOR)).map(tenantView),
  }),
  defineOperation({
    resource: 'tenant',
    verb: 'get',
    summary: 'Show a tenant',
    method: 'GET',
    path: '/tenants/:name',
    params: byName,
    result: Tenant,
    errors: ['tenantNotFound'],
    run: async ({ identity }, p) => tenantView(await identity.tenantAdmin.get(SYSTEM_ACTOR, p.name)),
  }),
  defineOperation({
    resource: 'tenant',
    verb: 'create',
    summary: 'Create a tenant',
    description: 'Unset settings take their defaults.',
    method: 'POST',
    path: '/tenants',
    status: 201,
    params: params({
      name: Type.String({ pattern: TENANT_NAME, description: '1-100 of A-Z a-z 0-9 . _ -' }),
      ...TenantSettingsInput,
    }),
    result: Tenant,
    errors: ['tenantExists'],
    run: async ({ identity }, p) => tenantView(await identity.tenantAdmin.create(SYSTEM_ACTOR, p.name, settingsOf(p))),
  }),
  defineOperation({
    resource: 'tenant',
    verb: 'update',
    summary: 'Change settings of a tenant',
    description:
      'Unset settings keep their value. Other instances apply the change within a second (tenant cache); ' +
      'tickets, profiles and sessions stay.',
    method: 'PATCH',
    path: '/tenants/:name',
    params: params({ name: TenantName, ...TenantSettingsInput }),
    result: Tenant,
    errors: ['tenantNotFound'],
    run: async ({ identity }, p) => tenantView(await identity.tenantAdmin.update(SYSTEM_ACTOR, p.name, settingsOf(p))),
  }),
  defineOperation({
    resource: 'tenant',
    verb: 'delete',
    summary: 'Delete a tenant with all its tickets, profiles and sessions; returns it as it was',
    description: 'Tenant `default` cannot be deleted (103009).',
    method: 'DELETE',
    path: '/tenants/:name',
    params: byName,
    result: Tenant,
    errors: ['tenantNotFound', 'notAllowed'],
    run: async ({ identity }, p) => tenantView(await identity.tenantAdmin.delete(SYSTEM_ACTOR, p.name)),
  }),
];
