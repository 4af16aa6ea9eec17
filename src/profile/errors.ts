import type { DomainErrorCode } from '../core/domain-error.js';
import { ApiError } from '../http/api-error.js';

/**
 * The profile surface's error catalog: Crafter Profile's error codes with
 * the statuses docs/profile.md gives them, plus ticketd's own codes
 * (NOT_FOUND, BODY_TOO_LARGE, STORE_UNAVAILABLE, SERVICE_BUSY, ...) for what
 * Crafter has no code for.
 * A code may answer with two statuses (NO_SUCH_TICKET is 400 on by_ticket),
 * so entries are named. `docs/errors.md` lists the same table;
 * `test/errors-catalog.test.ts` keeps the two in sync.
 * Body: `{"errorCode": <code>, "message": <text>}`.
 */
export const profileErrors = {
  accessDenied: { status: 403, errorCode: 'ACCESS_DENIED' },
  noSuchAccessToken: { status: 403, errorCode: 'NO_SUCH_ACCESS_TOKEN_ID' },
  noSuchAccessTokenToRead: { status: 404, errorCode: 'NO_SUCH_ACCESS_TOKEN_ID' },
  accessTokenExists: { status: 409, errorCode: 'ACCESS_TOKEN_EXISTS' },
  actionDenied: { status: 403, errorCode: 'ACTION_DENIED' },
  noSuchTenant: { status: 404, errorCode: 'NO_SUCH_TENANT' },
  tenantExists: { status: 409, errorCode: 'TENANT_EXISTS' },
  badCredentials: { status: 401, errorCode: 'BAD_CREDENTIALS' },
  disabledProfile: { status: 403, errorCode: 'DISABLED_PROFILE' },
  profileLocked: { status: 423, errorCode: 'PROFILE_LOCKED' },
  noSuchProfile: { status: 404, errorCode: 'NO_SUCH_PROFILE' },
  profileExists: { status: 409, errorCode: 'PROFILE_EXISTS' },
  noSuchTicket: { status: 404, errorCode: 'NO_SUCH_TICKET' },
  noSuchTicketByTicket: { status: 400, errorCode: 'NO_SUCH_TICKET' },
  noSuchPersistentLogin: { status: 404, errorCode: 'NO_SUCH_PERSISTENT_LOGIN' },
  paramDeserialization: { status: 400, errorCode: 'PARAM_DESERIALIZATION_ERROR' },
  notFound: { status: 404, errorCode: 'NOT_FOUND' },
  bodyTooLarge: { status: 413, errorCode: 'BODY_TOO_LARGE' },
  storeUnavailable: { status: 503, errorCode: 'STORE_UNAVAILABLE' },
  serviceBusy: { status: 503, errorCode: 'SERVICE_BUSY' },
  rateLimited: { status: 429, errorCode: 'TOO_MANY_REQUESTS' },
  requestTimeout: { status: 408, errorCode: 'REQUEST_TIMEOUT' },
  headersTooLarge: { status: 431, errorCode: 'HEADERS_TOO_LARGE' },
  other: { status: 500, errorCode: 'OTHER' },
} as const;

export type ProfileErrorName = keyof typeof profileErrors;

/** Where each domain error lands unless a route says otherwise (route config `profileErrors`). */
export const fromDomain: Record<DomainErrorCode, ProfileErrorName> = {
  ACCESS_DENIED: 'accessDenied',
  NO_SUCH_ACCESS_TOKEN_ID: 'noSuchAccessToken',
  ACCESS_TOKEN_EXISTS: 'accessTokenExists',
  ACTION_DENIED: 'actionDenied',
  NO_SUCH_TENANT: 'noSuchTenant',
  TENANT_EXISTS: 'tenantExists',
  BAD_CREDENTIALS: 'badCredentials',
  DISABLED_PROFILE: 'disabledProfile',
  PROFILE_LOCKED: 'profileLocked',
  NO_SUCH_PROFILE: 'noSuchProfile',
  PROFILE_EXISTS: 'profileExists',
  NO_SUCH_TICKET: 'noSuchTicket',
  NO_SUCH_PERSISTENT_LOGIN: 'noSuchPersistentLogin',
  INVALID_PARAM: 'paramDeserialization',
  SERVICE_BUSY: 'serviceBusy',
};

export function profileError(
  name: ProfileErrorName,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): ApiError {
  const e = profileErrors[name];
  return new ApiError(e.status, { errorCode: e.errorCode, message, ...extra }, headers);
}
