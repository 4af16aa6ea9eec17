import { Type } from '@sinclair/typebox';
import { SYSTEM_ACTOR } from '../core/access-tokens.js';
import { DEFAULT_TENANT } from '../core/tenant-settings.js';
import type { ProfileRecord } from '../store/types.js';
import { type AdminOperation, type CliView, defineOperation } from './operation.js';
import { Attributes, Email, Password, Profile, ProfileId, ProfilePage, params, Roles, Username } from './schemas.js';

/** A profile as the admin API answers it: the public record plus its lockout state; never the password hash. */
export function profileView(p: ProfileRecord) {
  return {
    id: p.id,
    tenant: p.tenant,
    username: p.username,
    email: p.email,
    enabled: p.enabled,
    verified: p.verified,
    roles: [...p.roles],
    attributes: p.attributes,
    createdOn: p.createdOn,
    lastModified: p.lastModified,
    failedLoginAttempts: p.failedLoginAttempts,
    lockedUntil: p.lockedUntil,
  };
}

export const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;

const profileTable: CliView = {
  rows: (r) => (r as { profiles: Record<string, unknown>[] }).profiles,
  columns: [
    { header: 'ID', key: 'id' },
    { header: 'USERNAME', key: 'username' },
    { header: 'EMAIL', key: 'email' },
    { header: 'ENABLED', key: 'enabled' },
    { header: 'VERIFIED', key: 'verified' },
    { header: 'ROLES', key: 'roles' },
    { header: 'LOCKED UNTIL', key: 'lockedUntil' },
  ],
  footer: (r) => {
    const page = r as { tenant: string; total: number; offset: number; profiles: unknown[] };
    const shown = page.profiles.length;
    const range = shown === 0 ? 'none' : `${page.offset + 1}-${page.offset + shown}`;
    return `profiles ${range} of ${page.total} in tenant ${page.tenant}`;
  },
};

const byId = params({ id: ProfileId });
const TenantOfProfile = Type.String({ maxLength: 200, description: 'The tenant (default: default).' });

/** enable, disable, unlock: POST /profiles/:id/<verb>, no other parameter. */
function profileAction(
  verb: 'enable' | 'disable' | 'unlock',
  summary: string,
  description: string,
  act: (services: Parameters<AdminOperation['run']>[0], id: string) => Promise<ProfileRecord>,
): AdminOperation {
  return defineOperation({
    resource: 'profile',
    verb,
    summary,
    description,
    method: 'POST',
    path: `/profiles/:id/${verb}`,
    params: byId,
    result: Profile,
    errors: ['profileNotFound'],
    run: async (services, p) => profileView(await act(services, p.id)),
  });
}

export const profileOperations: AdminOperation[] = [
  defineOperation({
    resource: 'profile',
    verb: 'list',
    summary: 'List the profiles of a tenant, by username',
    method: 'GET',
    path: '/profiles',
    params: params({
      tenant: Type.Optional(TenantOfProfile),
      offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'Profiles skipped (0).' })),
      limit: Type.Optional(
        Type.Integer({ minimum: 1, maximum: MAX_PAGE, description: `Profiles returned (${DEFAULT_PAGE}).` }),
      ),
    }),
    result: ProfilePage,
    errors: ['tenantNotFound'],
    cli: { view: profileTable },
    run: async ({ identity }, p) => {
      const tenant = p.tenant ?? DEFAULT_TENANT;
      const offset = p.offset ?? 0;
      const limit = p.limit ?? DEFAULT_PAGE;
      const page = await identity.profiles.list(SYSTEM_ACTOR, tenant, offset, limit);
      return { tenant, total: page.total, offset, limit, profiles: page.profiles.map(profileView) };
    },
  }),
  defineOperation({
    resource: 'profile',
    verb: 'get',
    summary: 'Show a profile',
    method: 'GET',
    path: '/profiles/:id',
    params: byId,
    result: Profile,
    errors: ['profileNotFound'],
    run: async ({ identity }, p) => profileView(await identity.profiles.get(SYSTEM_ACTOR, p.id)),
  }),
  defineOperation({
    resource: 'profile',
    verb: 'create',
    summary: 'Create a profile',
    description: 'With the tenant’s verifyNewProfiles on, the profile starts disabled until it is enabled.',
    method: 'POST',
    path: '/profiles',
    status: 201,
    params: params({
      tenant: Type.Optional(TenantOfProfile),
      username: Username,
      password: Password,
      email: Email,
      enabled: Type.Optional(Type.Boolean({ description: 'Default true.' })),
      roles: Type.Optional(Roles),
      attributes: Type.Optional(Attributes),
    }),
    result: Profile,
    errors: ['tenantNotFound', 'profileExists', 'invalidValue'],
    run: async ({ identity }, p) =>
      profileView(
        await identity.profiles.create(SYSTEM_ACTOR, {
          tenant: p.tenant ?? DEFAULT_TENANT,
          username: p.username,
          password: p.password,
          email: p.email,
          enabled: p.enabled ?? true,
          roles: p.roles ?? [],
          attributes: p.attributes ?? {},
        }),
      ),
  }),
  defineOperation({
    resource: 'profile',
    verb: 'update',
    summary: 'Change a profile',
    description:
      'Unset fields keep their value; `attributes` are merged into the existing ones, `roles` replace them. ' +
      'A new password, or enabled=false, ends every session of the profile.',
    method: 'PATCH',
    path: '/profiles/:id',
    params: params({
      id: ProfileId,
      username: Type.Optional(Username),
      password: Type.Optional(Password),
      email: Type.Optional(Email),
      enabled: Type.Optional(Type.Boolean()),
      roles: Type.Optional(Roles),
      attributes: Type.Optional(Attributes),
    }),
    result: Profile,
    errors: ['profileNotFound', 'profileExists', 'invalidValue'],
    run: async ({ identity }, p) =>
      profileView(
        await identity.profiles.update(SYSTEM_ACTOR, p.id, {
          username: p.username,
          password: p.password,
          email: p.email,
          enabled: p.enabled,
          roles: p.roles,
          attributes: p.attributes,
        }),
      ),
  }),
  defineOperation({
    resource: 'profile',
    verb: 'delete',
    summary: 'Delete a profile with its sessions; returns it as it was',
    method: 'DELETE',
    path: '/profiles/:id',
    params: byId,
    result: Profile,
    errors: ['profileNotFound'],
    run: async ({ identity }, p) => profileView(await identity.profiles.delete(SYSTEM_ACTOR, p.id)),
  }),
  profileAction('enable', 'Enable a profile', 'It may log in again.', ({ identity }, id) =>
    identity.profiles.enable(SYSTEM_ACTOR, id),
  ),
  profileAction(
    'disable',
    'Disable a profile',
    'Ends every session of the profile; logins are refused until it is enabled.',
    ({ identity }, id) => identity.profiles.disable(SYSTEM_ACTOR, id),
  ),
  profileAction(
    'unlock',
    'Unlock a profile',
    'Clears its failed-login count and any lockout (failedLoginAttemptsBeforeLock), at once.',
    ({ identity }, id) => identity.profiles.unlock(SYSTEM_ACTOR, id),
  ),
];
