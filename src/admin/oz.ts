import { Type } from '@sinclair/typebox';
import type { OzAppRecord, OzGrantRecord } from '../store/types.js';
import { adminError } from './errors.js';
import { type AdminOperation, type CliView, defineOperation } from './operation.js';
import { params } from './schemas.js';

/**
 * Oz apps and grants (docs/oz.md), on the Oz administration service
 * (src/oz/admin.ts): apps are provisioned here — create answers the Hawk key
 * once, rotation answers a new one — and grants (made by `POST /v1/ticket`
 * and `POST /v1/rsvp`) are listed by app or user and revoked.
 */

/** App ids travel in Hawk headers: letters, digits and `. _ ~ : -`, starting with a letter or digit. */
export const APP_ID = '^[A-Za-z0-9][A-Za-z0-9._~:-]{0,199}$';
const DEFAULT_GRANT_LIMIT = 100;
const MAX_GRANT_LIMIT = 1000;

const AppId = Type.String({ pattern: APP_ID, description: 'The app id (its Hawk id), e.g. com.example.mymylet.' });
const ScopeItems = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
  maxItems: 100,
  uniqueItems: true,
  description: 'The app’s scope: what its user tickets may do (unique items).',
});
const ExtAttributes = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
  maxItems: 100,
  uniqueItems: true,
  description: 'Profile attributes copied into its user tickets’ public `ext` (e.g. dbs).',
});

const appFields = {
  id: Type.String(),
  tenant: Type.String(),
  algorithm: Type.Literal('sha256'),
  scope: Type.Array(Type.String()),
  delegate: Type.Boolean({ description: 'May reissue its tickets to other apps (issueTo).' }),
  extAttributes: Type.Array(Type.String()),
  createdOn: Type.Integer({ description: 'Epoch milliseconds.' }),
};

export const App = Type.Object(appFields, { description: 'An Oz app, without its key.' });
export const AppWithKey = Type.Object(
  { ...appFields, key: Type.String({ description: 'The Hawk key: shown only here, keep it safe.' }) },
  { description: 'An Oz app with its Hawk key (create and key rotation only).' },
);

export const Grant = Type.Object(
  {
    id: Type.String(),
    tenant: Type.String(),
    app: Type.String(),
    user: Type.String({ description: 'The profile id.' }),
    scope: Type.Array(Type.String()),
    exp: Type.Integer({ description: 'Expiry, epoch milliseconds.' }),
    createdOn: Type.Integer({ description: 'Epoch milliseconds.' }),
  },
  { description: 'A grant: this app may act for this user (until revoked, expired, or its session ends).' },
);

export function appView(a: OzAppRecord) {
  return {
    id: a.id,
    tenant: a.tenant,
    algorithm: a.algorithm,
    scope: [...a.scope],
    delegate: a.delegate,
    extAttributes: [...a.extAttributes],
    createdOn: a.createdOn,
  };
}

const withKey = (a: OzAppRecord) => ({ ...appView(a), key: a.key });

export function grantView(g: OzGrantRecord) {
  return {
    id: g.id,
    tenant: g.tenant,
    app: g.app,
    user: g.user,
    scope: [...g.scope],
    exp: g.exp,
    createdOn: g.createdOn,
  };
}

/** The app, or the admin API's not-found answer. */
function foundApp(app: OzAppRecord | null, id: string): OzAppRecord {
  if (!app) throw adminError('appNotFound', `No app with id "${id}"`);
  return app;
}

/** The grant, or the admin API's not-found answer. */
function foundGrant(grant: OzGrantRecord | null, id: string): OzGrantRecord {
  if (!grant) throw adminError('grantNotFound', `No grant with id "${id}"`);
  return grant;
}

const appTable: CliView = {
  rows: (r) => r as Record<string, unknown>[],
  columns: [
    { header: 'ID', key: 'id' },
    { header: 'TENANT', key: 'tenant' },
    { header: 'SCOPE', key: 'scope' },
    { header: 'DELEGATE', key: 'delegate' },
    { header: 'EXT ATTRIBUTES', key: 'extAttributes' },
    { header: 'CREATED', key: 'createdOn' },
  ],
};

const grantTable: CliView = {
  rows: (r) => r as Record<string, unknown>[],
  columns: [
    { header: 'ID', key: 'id' },
    { header: 'APP', key: 'app' },
    { header: 'USER', key: 'user' },
    { header: 'SCOPE', key: 'scope' },
    { header: 'EXPIRES', key: 'exp' },
  ],
};

const KEY_NOTICE = 'ticketd admin: the key above is shown only this once; keep it safe.';
const byId = params({ id: AppId });

export const appOperations: AdminOperation[] = [
  defineOperation({
    resource: 'app',
    verb: 'list',
    summary: 'List Oz apps (of one tenant, or all), by id; never their keys',
    method: 'GET',
    path: '/apps',
    params: params({ tenant: Type.Optional(Type.String({ maxLength: 200, description: 'Only this tenant’s apps.' })) }),
    result: Type.Array(App),
    errors: [],
    cli: { view: appTable },
    run: async ({ oz }, p) => (await oz.listApps(p.tenant ?? null)).map(appView),
  }),
  defineOperation({
    resource: 'app',
    verb: 'get',
    summary: 'Show an Oz app, without its key',
    method: 'GET',
    path: '/apps/:id',
    params: byId,
    result: App,
    errors: ['appNotFound'],
    run: async ({ oz }, p) => appView(foundApp(await oz.getApp(p.id), p.id)),
  }),
  defineOperation({
    resource: 'app',
    verb: 'create',
    summary: 'Create an Oz app; its Hawk key is shown this once',
    description:
      'The key is generated (43 base64url characters) unless given (at least 32 characters). Its user tickets ' +
      'carry the app’s scope and, in `ext`, the profile attributes named in `extAttributes`.',
    method: 'POST',
    path: '/apps',
    status: 201,
    params: params({
      id: AppId,
      tenant: Type.Optional(Type.String({ maxLength: 200, description: 'Default `default`.' })),
      scope: Type.Optional(ScopeItems),
      delegate: Type.Optional(Type.Boolean({ description: 'Default false.' })),
      extAttributes: Type.Optional(ExtAttributes),
      key: Type.Optional(
        Type.String({ minLength: 32, maxLength: 200, description: 'A key of your own; generated when absent.' }),
      ),
    }),
    result: AppWithKey,
    errors: ['appExists', 'tenantNotFound'],
    cli: { notice: KEY_NOTICE },
    run: async ({ oz }, p) => {
      const app = await oz.createApp(p);
      if (app === 'exists') throw adminError('appExists', `An app with id "${p.id}" exists`);
      return withKey(app);
    },
  }),
  defineOperation({
    resource: 'app',
    verb: 'rotate-key',
    summary: 'Give an Oz app a new Hawk key; shown this once',
    description:
      'The old key stops working at once for new app tickets and for /v1/ticket; tickets already issued keep ' +
      'their own keys until they expire (revoke grants to end user tickets).',
    method: 'POST',
    path: '/apps/:id/key',
    params: params({
      id: AppId,
      key: Type.Optional(
        Type.String({ minLength: 32, maxLength: 200, description: 'A key of your own; generated when absent.' }),
      ),
    }),
    result: AppWithKey,
    errors: ['appNotFound'],
    cli: { notice: KEY_NOTICE },
    run: async ({ oz }, p) => withKey(foundApp(await oz.rotateKey(p.id, p.key), p.id)),
  }),
  defineOperation({
    resource: 'app',
    verb: 'delete',
    summary: 'Delete an Oz app with its grants; returns it as it was',
    description: 'Its tickets stop working at their next reissue or authenticate (401 Invalid application).',
    method: 'DELETE',
    path: '/apps/:id',
    params: byId,
    result: App,
    errors: ['appNotFound'],
    run: async ({ oz }, p) => appView(foundApp(await oz.deleteApp(p.id), p.id)),
  }),
];

const GrantId = Type.String({ minLength: 1, maxLength: 200, description: 'The grant id.' });

export const grantOperations: AdminOperation[] = [
  defineOperation({
    resource: 'grant',
    verb: 'list',
    summary: 'List live grants of an app and/or a user, newest first',
    method: 'GET',
    path: '/grants',
    params: params({
      app: Type.Optional(Type.String({ maxLength: 200, description: 'Only this app’s grants.' })),
      user: Type.Optional(Type.String({ maxLength: 200, description: 'Only this profile’s grants.' })),
      limit: Type.Optional(
        Type.Integer({ minimum: 1, maximum: MAX_GRANT_LIMIT, description: `Default ${DEFAULT_GRANT_LIMIT}.` }),
      ),
    }),
    result: Type.Array(Grant),
    errors: [],
    cli: { view: grantTable },
    run: async ({ oz }, p) => {
      const filter = {
        ...(p.app !== undefined ? { app: p.app } : {}),
        ...(p.user !== undefined ? { user: p.user } : {}),
      };
      return (await oz.listGrants(filter, p.limit ?? DEFAULT_GRANT_LIMIT)).map(grantView);
    },
  }),
  defineOperation({
    resource: 'grant',
    verb: 'get',
    summary: 'Show a live grant',
    method: 'GET',
    path: '/grants/:id',
    params: params({ id: GrantId }),
    result: Grant,
    errors: ['grantNotFound'],
    run: async ({ oz }, p) => grantView(foundGrant(await oz.getGrant(p.id), p.id)),
  }),
  defineOperation({
    resource: 'grant',
    verb: 'revoke',
    summary: 'Revoke a grant; returns it as it was',
    description:
      'Its user tickets stop at their next reissue or authenticate (401 Invalid grant); resource servers that ' +
      'verify locally see it within the ticket TTL.',
    method: 'DELETE',
    path: '/grants/:id',
    params: params({ id: GrantId }),
    result: Grant,
    errors: ['grantNotFound'],
    run: async ({ oz }, p) => grantView(foundGrant(await oz.revokeGrant(p.id), p.id)),
  }),
];
