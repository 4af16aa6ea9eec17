import { type Static, Type } from '@sinclair/typebox';

/** Largest duration (and count) setting: 2^31-1, about 68 years in seconds, so that every expiry is a valid date. */
const MAX_SECONDS = 2_147_483_647;

/**
 * Settings every tenant carries (docs/admin.md). Shared by every surface; JSON
 * names are the ones operators write in config files and the admin API.
 */
export const TenantSettingsSchema = Type.Object(
  {
    ticketMax: Type.Integer({ minimum: 0, default: 0, description: 'live opaque tickets allowed; 0 = no limit' }),
    ticketMaxPayloadLength: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'longest payload in bytes (compact JSON); 0 = no limit',
    }),
    loginTicketMaxAge: Type.Integer({ minimum: 1, maximum: MAX_SECONDS, default: 900, description: 'seconds' }),
    persistentLoginMaxAge: Type.Integer({
      minimum: 1,
      maximum: MAX_SECONDS,
      default: 1_296_000,
      description: 'seconds',
    }),
    failedLoginAttemptsBeforeDelay: Type.Integer({ minimum: 0, maximum: MAX_SECONDS, default: 2 }),
    failedLoginAttemptsBeforeLock: Type.Integer({ minimum: 0, maximum: MAX_SECONDS, default: 8 }),
    lockTime: Type.Integer({ minimum: 0, maximum: MAX_SECONDS, default: 600, description: 'seconds' }),
    verifyNewProfiles: Type.Boolean({
      default: false,
      description: 'new profiles start disabled and unverified until an administrator enables them (Crafter)',
    }),
    availableRoles: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
      default: [],
      maxItems: 1000,
      description: 'roles profiles of this tenant may have; empty = any role (Crafter)',
    }),
  },
  { additionalProperties: false },
);

export type TenantSettings = Static<typeof TenantSettingsSchema>;

export const DEFAULT_TENANT = 'default';

export const defaultTenantSettings = (): TenantSettings => ({
  ticketMax: 0,
  ticketMaxPayloadLength: 0,
  loginTicketMaxAge: 900,
  persistentLoginMaxAge: 1_296_000,
  failedLoginAttemptsBeforeDelay: 2,
  failedLoginAttemptsBeforeLock: 8,
  lockTime: 600,
  verifyNewProfiles: false,
  availableRoles: [],
});

export const withDefaults = (partial: Partial<TenantSettings>): TenantSettings => ({
  ...defaultTenantSettings(),
  ...partial,
});
