import { type Static, Type } from '@sinclair/typebox';

/**
 * Largest duration and count setting: 2^31-1 (about 68 years in seconds), so
 * that every expiry is a valid date and every count exact on every store.
 * Larger values are refused, never rounded (docs/admin.md lists the maxima).
 */
export const MAX_SETTING = 2_147_483_647;
const MAX_SECONDS = MAX_SETTING;
/** Largest rate limit, in requests per minute: a million, past what one deployment serves. */
export const MAX_RATE_LIMIT = 1_000_000;

const rateLimit = (description: string) =>
  Type.Integer({ minimum: 0, maximum: MAX_RATE_LIMIT, default: 0, description: `${description}; 0 = no limit` });

/**
 * Settings every tenant carries (docs/admin.md). Shared by every surface; JSON
 * names are the ones operators write in config files and the admin API.
 */
export const TenantSettingsSchema = Type.Object(
  {
    ticketMax: Type.Integer({
      minimum: 0,
      maximum: MAX_SETTING,
      default: 0,
      description: 'live opaque tickets allowed; 0 = no limit',
    }),
    ticketMaxPayloadLength: Type.Integer({
      minimum: 0,
      maximum: MAX_SETTING,
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
    sessionMaxLifetime: Type.Integer({
      minimum: 0,
      maximum: MAX_SECONDS,
      default: 0,
      description: 'seconds a login ticket lives at most after its login, however active; 0 = no limit',
    }),
    ticketCreateRateLimit: rateLimit('opaque tickets created per minute, all instances together'),
    ticketUseRateLimit: rateLimit('opaque ticket uses per minute, all instances together'),
    authenticateRateLimit: rateLimit('password logins per minute from one client address'),
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
  sessionMaxLifetime: 0,
  ticketCreateRateLimit: 0,
  ticketUseRateLimit: 0,
  authenticateRateLimit: 0,
});

export const withDefaults = (partial: Partial<TenantSettings>): TenantSettings => ({
  ...defaultTenantSettings(),
  ...partial,
});
