import { Type } from '@sinclair/typebox';
import { type AccessTokenView, SYSTEM_ACTOR } from '../core/access-tokens.js';
import type { TenantPermission as Permission } from '../store/types.js';
import { adminError } from './errors.js';
import { type AdminOperation, type CliView, defineOperation } from './operation.js';
import { AccessToken, AccessTokenId, ISO_DATE_TIME, params, TenantPermission, UUID } from './schemas.js';

/** An access token as the admin API answers it, keys in the schema's order (the CLI's --json prints the same). */
export function tokenView(v: AccessTokenView) {
  return {
    id: v.id,
    idPrefix: v.idPrefix,
    application: v.application,
    master: v.master,
    tenantPermissions: v.tenantPermissions,
    expiresOn: v.expiresOn,
  };
}

/** Latest expiry JavaScript dates can hold. */
const MAX_DATE_MS = 8_640_000_000_000_000;

/** `--permission TENANT:ACTION[,ACTION...]` (repeatable) on the CLI; a JSON value is taken as it is. */
export function parsePermissions(values: string[]): unknown {
  return values.flatMap((v): unknown => {
    if (/^\s*[[{]/.test(v)) {
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return v;
      }
    }
    const i = v.indexOf(':');
    if (i < 0) return v;
    const actions = v.slice(i + 1).split(',');
    return { tenant: v.slice(0, i), allowedActions: actions.filter((a) => a !== '') };
  });
}

const tokenTable: CliView = {
  rows: (r) => r as Record<string, unknown>[],
  columns: [
    { header: 'ID PREFIX', key: 'idPrefix' },
    { header: 'APPLICATION', key: 'application' },
    { header: 'MASTER', key: 'master' },
    { header: 'PERMISSIONS', key: 'tenantPermissions' },
    { header: 'EXPIRES', key: 'expiresOn' },
  ],
};

const byId = params({ id: AccessTokenId });

export const accessTokenOperations: AdminOperation[] = [
  defineOperation({
    resource: 'access-token',
    verb: 'list',
    summary: 'List access tokens (ids are stored hashed: only their first 8 characters are shown)',
    method: 'GET',
    path: '/access-tokens',
    params: params({}),
    result: Type.Array(AccessToken),
    errors: [],
    cli: { view: tokenTable },
    run: async ({ identity }) => (await identity.accessTokens.list(SYSTEM_ACTOR)).map(tokenView),
  }),
  defineOperation({
    resource: 'access-token',
    verb: 'get',
    summary: 'Show an access token',
    method: 'GET',
    path: '/access-tokens/:id',
    params: byId,
    result: AccessToken,
    errors: ['accessTokenNotFound'],
    run: async ({ identity }, p) => tokenView(await identity.accessTokens.get(SYSTEM_ACTOR, p.id)),
  }),
  defineOperation({
    resource: 'access-token',
    verb: 'create',
    summary: 'Create an access token; its id is shown this once',
    description:
      'The id is the credential (a UUID, generated unless given); ticketd keeps only its SHA-256. ' +
      '`master` tokens may call the admin API and manage access tokens.',
    method: 'POST',
    path: '/access-tokens',
    status: 201,
    params: params({
      application: Type.String({ minLength: 1, maxLength: 200, description: 'Who uses the token.' }),
      master: Type.Optional(Type.Boolean({ description: 'Default false.' })),
      tenantPermissions: Type.Optional(
        Type.Array(TenantPermission, {
          maxItems: 1000,
          description: 'The first permission whose tenant matches decides. Default: none.',
        }),
      ),
      expiresOn: Type.Optional(
        Type.Union(
          [Type.Integer({ minimum: 0, maximum: MAX_DATE_MS }), Type.String({ pattern: ISO_DATE_TIME }), Type.Null()],
          { description: 'Epoch milliseconds or an ISO 8601 date and time; absent or null: never expires.' },
        ),
      ),
      id: Type.Optional(Type.String({ pattern: UUID, description: 'A UUID; generated when absent.' })),
    }),
    result: AccessToken,
    errors: ['accessTokenExists', 'invalidValue'],
    cli: {
      flags: {
        tenantPermissions: {
          flag: 'permission',
          value: 'TENANT:ACTION[,ACTION...]',
          help: 'a tenant permission, e.g. acme:MANAGE_PROFILES,MANAGE_TICKETS or *:* (repeatable)',
          repeatable: true,
          parse: parsePermissions,
        },
      },
      notice: 'ticketd admin: the id above is shown only this once; keep it safe.',
    },
    run: async ({ identity }, p) => {
      let expiresOn: number | null = null;
      if (typeof p.expiresOn === 'string') {
        expiresOn = Date.parse(p.expiresOn);
        if (!Number.isFinite(expiresOn) || expiresOn < 0) {
          throw adminError('invalidValue', `expiresOn "${p.expiresOn}" is not a date`);
        }
      } else if (typeof p.expiresOn === 'number') expiresOn = p.expiresOn;
      const created = await identity.accessTokens.create(SYSTEM_ACTOR, {
        id: p.id?.toLowerCase(),
        application: p.application,
        master: p.master ?? false,
        tenantPermissions: (p.tenantPermissions ?? []) as Permission[],
        expiresOn,
      });
      return tokenView(created);
    },
  }),
  defineOperation({
    resource: 'access-token',
    verb: 'delete',
    summary: 'Delete (revoke) an access token; returns it as it was',
    description: 'Other instances stop accepting it within a second (token cache).',
    method: 'DELETE',
    path: '/access-tokens/:id',
    params: byId,
    result: AccessToken,
    errors: ['accessTokenNotFound'],
    run: async ({ identity }, p) => tokenView(await identity.accessTokens.delete(SYSTEM_ACTOR, p.id)),
  }),
];
