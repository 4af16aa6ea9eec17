import { type Static, type TProperties, Type } from '@sinclair/typebox';
import { TENANT_ACTIONS } from '../core/access-tokens.js';
import { TenantSettingsSchema } from '../core/tenant-settings.js';

/**
 * Shapes of the profile surface, written once: requests are validated with
 * them, TypeScript types come from them, /openapi.json is generated from
 * them, and replies are serialised through them (which fixes the key order
 * Crafter's clients see).
 *
 * Parameters are documented as query parameters; they may equally be sent
 * as a form body or a JSON object body (see params.ts).
 */

const str = (description: string) => Type.String({ description });
const optStr = (description: string) => Type.Optional(str(description));
const list = (description: string) =>
  Type.Optional(Type.Array(Type.String(), { description: `${description} Repeatable, or comma-separated.` }));

/** Every route's parameters, plus the caller's access token. */
const params = <T extends TProperties>(props: T) =>
  Type.Object({
    accessTokenId: optStr('The access token ID of the application making the call (required).'),
    ...props,
  });

export const NoParams = params({});

export const AuthenticateParams = params({
  tenantName: str('The tenant the profile belongs to.'),
  username: str('The profile username.'),
  password: str('The profile password.'),
});
export type AuthenticateParams = Static<typeof AuthenticateParams>;

export const ProfileIdParams = params({ profileId: str('The ID of the profile.') });
export type ProfileIdParams = Static<typeof ProfileIdParams>;

export const AttributesToReturnParams = params({
  attributeToReturn: list('Only these attributes are returned (`$none`: none).'),
});
export type AttributesToReturnParams = Static<typeof AttributesToReturnParams>;

export const ByTicketParams = params({
  ticketId: str('The ID of a login ticket.'),
  attributeToReturn: list('Only these attributes are returned (`$none`: none).'),
});
export type ByTicketParams = Static<typeof ByTicketParams>;

export const ProfileCreateParams = params({
  tenantName: str('The tenant to create the profile in.'),
  username: str('Unique in the tenant, 1-255 characters.'),
  password: str('1-1024 characters; stored as an scrypt hash.'),
  email: str('An e-mail address.'),
  enabled: optStr('true or false (default true).'),
  role: list('A role of the profile.'),
  attributes: optStr('A JSON object, as text.'),
  verificationUrl: optStr('Accepted for compatibility; ticketd sends no e-mail.'),
  attributeToReturn: list('Only these attributes are returned (`$none`: none).'),
});
export type ProfileCreateParams = Static<typeof ProfileCreateParams>;

export const ProfileUpdateParams = params({
  username: optStr('A new username.'),
  password: optStr('A new password; ends every session of the profile.'),
  email: optStr('A new e-mail address.'),
  enabled: optStr('true or false; false ends every session of the profile.'),
  role: list('The new roles (replace the old ones).'),
  attributes: optStr('A JSON object, as text, merged into the existing attributes.'),
  attributeToReturn: list('Only these attributes are returned (`$none`: none).'),
});
export type ProfileUpdateParams = Static<typeof ProfileUpdateParams>;

export const ChangePasswordParams = params({
  newPassword: str('The new password; ends every session of the profile.'),
  attributeToReturn: list('Only these attributes are returned (`$none`: none).'),
});
export type ChangePasswordParams = Static<typeof ChangePasswordParams>;

export const IdPath = Type.Object({ id: Type.String() });
export type IdPath = Static<typeof IdPath>;
export const NamePath = Type.Object({ name: Type.String() });
export type NamePath = Static<typeof NamePath>;

// ---- records ----------------------------------------------------------------------

export const TicketReply = Type.Object(
  {
    tenant: Type.String(),
    profileId: Type.String({ pattern: '^[0-9a-f]{24}$' }),
    lastRequestTime: Type.Integer({ description: 'Epoch milliseconds of the last request made with the ticket.' }),
    id: Type.String({ format: 'uuid' }),
  },
  { description: 'A login ticket (a profile session).' },
);

export const PersistentLoginReply = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    tenant: Type.String(),
    profileId: Type.String(),
    token: Type.String({ description: 'The remember-me token.' }),
    timestamp: Type.Integer({ description: 'Epoch milliseconds of creation or the last token refresh.' }),
  },
  { description: 'A persistent login ("remember me").' },
);

export const ProfileReply = Type.Object(
  {
    username: Type.String(),
    email: Type.String(),
    verified: Type.Boolean(),
    enabled: Type.Boolean(),
    createdOn: Type.Integer({ description: 'Epoch milliseconds.' }),
    lastModified: Type.Integer({ description: 'Epoch milliseconds.' }),
    tenant: Type.String(),
    roles: Type.Array(Type.String()),
    attributes: Type.Record(Type.String(), Type.Unknown()),
    id: Type.String({ pattern: '^[0-9a-f]{24}$' }),
  },
  { description: 'A profile; never its password.' },
);

const settings = TenantSettingsSchema.properties;

/** Crafter's tenant fields first, in Crafter's order, then ticketd's settings. */
export const TenantReply = Type.Object(
  {
    name: Type.String(),
    verifyNewProfiles: settings.verifyNewProfiles,
    availableRoles: settings.availableRoles,
    ...Type.Omit(TenantSettingsSchema, ['verifyNewProfiles', 'availableRoles']).properties,
  },
  { description: 'A tenant with its settings.' },
);

export const TENANT_NAME = '^[A-Za-z0-9._-]{1,100}$';

export const TenantCreateBody = Type.Object(
  {
    accessTokenId: optStr('May be sent here instead of the query string.'),
    name: Type.String({ pattern: TENANT_NAME, description: '1-100 of A-Z a-z 0-9 . _ -' }),
    ...Type.Partial(TenantSettingsSchema).properties,
  },
  { description: "A tenant: Crafter's fields plus ticketd's settings; unknown fields are ignored." },
);
export type TenantCreateBody = Static<typeof TenantCreateBody>;

const ActionName = Type.Union([...TENANT_ACTIONS.map((a) => Type.Literal(a)), Type.Literal('*')]);

export const TenantPermission = Type.Object({
  tenant: Type.String({ minLength: 1, maxLength: 100, description: 'A tenant name, or `*` for any.' }),
  allowedActions: Type.Array(ActionName, { maxItems: 20, description: 'Actions, or `*` for any.' }),
});

export const AccessTokenCreateBody = Type.Object(
  {
    accessTokenId: optStr('The calling master token; may be sent here instead of the query string.'),
    id: Type.Optional(
      Type.String({
        pattern: '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$',
        description: 'A UUID; generated when absent.',
      }),
    ),
    application: Type.String({ minLength: 1, maxLength: 200 }),
    master: Type.Optional(Type.Boolean({ default: false })),
    tenantPermissions: Type.Optional(Type.Array(TenantPermission, { maxItems: 1000 })),
    expiresOn: Type.Optional(
      Type.Union([
        Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000, description: 'Epoch milliseconds' }),
        Type.String({ format: 'date-time', description: 'An ISO 8601 date and time' }),
        Type.Null(),
      ]),
    ),
  },
  { description: 'An access token; unknown fields are ignored.' },
);
export type AccessTokenCreateBody = Static<typeof AccessTokenCreateBody>;

export const AccessTokenReply = Type.Object(
  {
    id: Type.Union([Type.String(), Type.Null()], {
      description: 'The token id; only known on create and when the caller named it (ids are stored hashed).',
    }),
    application: Type.String(),
    master: Type.Boolean(),
    tenantPermissions: Type.Array(TenantPermission),
    expiresOn: Type.Union([Type.Integer(), Type.Null()], { description: 'Epoch milliseconds; null: never.' }),
    idPrefix: Type.String({ description: 'The first 8 characters of the id.' }),
  },
  { description: 'An access token.' },
);

const ErrorReply = Type.Object(
  {
    errorCode: Type.String(),
    message: Type.String(),
    errorId: Type.Optional(
      Type.String({ description: 'Only on OTHER (500): the id under which the server logged it.' }),
    ),
  },
  { description: 'Every error of the profile surface; codes in docs/errors.md.' },
);

export const errorReplies = {
  400: ErrorReply,
  401: ErrorReply,
  403: ErrorReply,
  404: ErrorReply,
  409: ErrorReply,
  413: ErrorReply,
  423: ErrorReply,
  500: ErrorReply,
  503: ErrorReply,
};

/** 200 with an empty body. */
export const EmptyReply = Type.Null({ description: 'Empty body.' });
