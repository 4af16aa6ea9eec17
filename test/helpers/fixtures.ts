import { expect } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/core/access-tokens.js';
import type { ProfileRecord, TenantPermission } from '../../src/store/types.js';
import type { TestTicketd } from './ticketd.js';

/**
 * Records every surface's tests start from, made through the domain services
 * (no HTTP: the surfaces' own tests say how their routes make them), and the
 * check of a JSON success that they all share.
 */

type Reply = Awaited<ReturnType<TestTicketd['server']['inject']>>;

/** A success with this status; the JSON body. */
export function ok<T = Record<string, unknown>>(res: Reply, status = 200): T {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.json() as T;
}

let seq = 0;

/** An enabled profile in tenant `default` unless told otherwise; the record as stored, with its password. */
export async function createProfile(
  t: TestTicketd,
  fields: Partial<Pick<ProfileRecord, 'tenant' | 'username' | 'email' | 'enabled' | 'roles' | 'attributes'>> & {
    password?: string;
  } = {},
): Promise<ProfileRecord & { password: string }> {
  seq += 1;
  const password = fields.password ?? `secret-${seq}`;
  const p = await t.identity.profiles.create(SYSTEM_ACTOR, {
    tenant: fields.tenant ?? 'default',
    username: fields.username ?? `user${seq}`,
    email: fields.email ?? `user${seq}@example.com`,
    enabled: fields.enabled ?? true,
    roles: fields.roles ?? [],
    attributes: fields.attributes ?? {},
    password,
  });
  return { ...p, password };
}

/** An access token (not a master token unless told); its id, shown this once. */
export async function createToken(
  t: TestTicketd,
  fields: {
    tenantPermissions?: TenantPermission[];
    master?: boolean;
    expiresOn?: number | null;
    application?: string;
  } = {},
): Promise<string> {
  const token = await t.identity.accessTokens.create(SYSTEM_ACTOR, {
    application: fields.application ?? 'test-app',
    master: fields.master ?? false,
    tenantPermissions: fields.tenantPermissions ?? [],
    expiresOn: fields.expiresOn ?? null,
  });
  return token.id as string;
}
