import { type TProperties, Type } from '@sinclair/typebox';
import { TENANT_ACTIONS } from '../core/access-tokens.js';
import { TenantSettingsSchema } from '../core/tenant-settings.js';

/**
 * Shapes of the admin API, written once: parameters are validated with
 * them (HTTP and CLI), TypeScript types come from them, /openapi.json and
 * the CLI's help are generated from them, and replies are serialised
 * through them.
 */

/** Parameters of an operation: unknown fields are refused. */
export const params = <T extends TProperties>(props: T, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

// ---- tenants ------------------------------------------------------------------------

/** As in the config file's `tenants` keys. */
export const TENANT_NAME = '^[A-Za-z0-9._-]{1,100}$';

export const TenantName = Type.String({ description: 'The tenant name.', maxLength: 200 });

/** Every setting, optional: unset ones keep their value (update) or take their default (create). */
export const TenantSettingsInput = Type.Partial(TenantSettingsSchema).properties;

export const Tenant = Type.Object(
  {
    name: Type.String(),
    ...TenantSettingsSchema.properties,
    createdAt: Type.Integer({ description: 'Epoch milliseconds.' }),
  },
  { description: 'A tenant with its settings.' },
);

// ---- profiles -----------------------------------------------------------------------

export const ProfileId = Type.String({ description: 'The profile id (24 hex characters).', maxLength: 200 });

export const Profile = Type.Object(
  {
    id: Type.String({ pattern: '^[0-9a-f]{24}$' }),
    tenant: Type.String(),
    username: Type.String(),
    email: Type.String(),
    enabled: Type.Boolean(),
    verified: Type.Boolean(),
    roles: Type.Array(Type.String()),
    attributes: Type.Record(Type.String(), Type.Unknown()),
    createdOn: Type.Integer({ description: 'Epoch milliseconds.' }),
    lastModified: Type.Integer({ description: 'Epoch milliseconds.' }),
    failedLoginAttempts: Type.Integer({ description: 'Wrong passwords since the last success or unlock.' }),
    lockedUntil: Type.Union([Type.Integer(), Type.Null()], {
      description: 'Epoch milliseconds until which logins are refused; null when not locked.',
    }),
  },
  { description: 'A profile with its lockout state; never its password.' },
);

export const ProfilePage = Type.Object(
  {
    tenant: Type.String(),
    total: Type.Integer({ description: 'Profiles in the tenant.' }),
    offset: Type.Integer(),
    limit: Type.Integer(),
    profiles: Type.Array(Profile),
  },
  { description: 'One page of a tenant’s profiles, by username.' },
);

export const Username = Type.String({ minLength: 1, maxLength: 255, description: 'Unique in the tenant.' });
export const Password = Type.String({
  minLength: 1,
  maxLength: 1024,
  description: 'Stored as an scrypt hash; never shown again.',
});
export const Email = Type.String({ minLength: 3, maxLength: 254, description: 'An e-mail address.' });
export const Roles = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  maxItems: 100,
  description: 'Roles of the profile (the tenant’s availableRoles, when it has any).',
});
export const Attributes = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Any JSON object (at most 32 levels deep).',
});

// ---- access tokens -----------------------------------------------------------------

export const AccessTokenId = Type.String({ description: 'The access token id (the secret itself).', maxLength: 200 });

const ActionName = Type.Union([...TENANT_ACTIONS.map((a) => Type.Literal(a)), Type.Literal('*')]);

export const TenantPermission = Type.Object(
  {
    tenant: Type.String({ minLength: 1, maxLength: 100, description: 'A tenant name, or `*` for any.' }),
    allowedActions: Type.Array(ActionName, { maxItems: 20, description: 'Actions, or `*` for any.' }),
  },
  { additionalProperties: false },
);

export const AccessToken = Type.Object(
  {
    id: Type.Union([Type.String(), Type.Null()], {
      description: 'The token id: only known on create and when the caller named it (ids are stored hashed).',
    }),
    idPrefix: Type.String({ description: 'The first 8 characters of the id.' }),
    application: Type.String(),
    master: Type.Boolean(),
    tenantPermissions: Type.Array(Type.Object({ tenant: Type.String(), allowedActions: Type.Array(Type.String()) }), {
      description: 'The first permission whose tenant matches decides.',
    }),
    expiresOn: Type.Union([Type.Integer(), Type.Null()], { description: 'Epoch milliseconds; null: never.' }),
  },
  { description: 'An access token.' },
);

export const UUID = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$';
/** ISO 8601 date and time with a zone, e.g. 2027-01-01T00:00:00Z. */
export const ISO_DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$';

// ---- stats -----------------------------------------------------------------------------

export const TenantStats = Type.Object({
  tenant: Type.String(),
  tickets: Type.Integer({
    description: 'Live opaque tickets (the store’s counter: expired ones not yet purged included).',
  }),
  profiles: Type.Integer(),
});

export const Stats = Type.Object(
  {
    tenants: Type.Array(TenantStats),
    total: Type.Object({ tenants: Type.Integer(), tickets: Type.Integer(), profiles: Type.Integer() }),
  },
  { description: 'Live opaque tickets and profiles per tenant, by tenant name.' },
);

const MinuteCounts = Type.Object({
  created: Type.Integer(),
  used: Type.Integer(),
  expired: Type.Integer({ description: 'Removed by the purge after they expired.' }),
});

export const Activity = Type.Object(
  {
    since: Type.Integer({ description: 'Epoch ms the first minute starts at.' }),
    tenants: Type.Array(
      Type.Object({
        tenant: Type.String(),
        minutes: Type.Array(MinuteCounts, { description: 'Oldest first; the current minute last.' }),
      }),
    ),
  },
  {
    description:
      'Opaque tickets created, used and expired per tenant and minute, as this ticketd instance saw them ' +
      '(each instance keeps its own; tenants without activity in the window are left out).',
  },
);

// ---- errors ------------------------------------------------------------------------------

export const AdminErrorReply = Type.Object(
  {
    code: Type.Integer(),
    error: Type.String(),
    detail: Type.Optional(Type.String({ description: 'What the request named (a tenant, an id...).' })),
    invalid: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String(),
          code: Type.Integer(),
          error: Type.String(),
          data: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
        }),
        { maxItems: 20, description: 'On 2004: the invalid fields, each with its first broken rule.' },
      ),
    ),
    error_id: Type.Optional(Type.String({ description: 'Only on 2001: the id under which the server logged it.' })),
  },
  { description: 'Every error of the admin API; codes in docs/errors.md.' },
);
