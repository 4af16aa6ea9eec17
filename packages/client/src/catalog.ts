/**
 * ticketd's error catalogs, as the client sees them: what each surface
 * answers when it refuses. The server's own tables are the source
 * (src/tickets/errors.ts, src/admin/errors.ts, src/profile/errors.ts,
 * src/oz/errors.ts); test/client-catalog.test.ts fails when these drift
 * from them, so the types below are the server's.
 */

/** The ticket surface (`/v1/tickets`, Authen's codes): `{code, error}`. */
export const TICKET_ERRORS = {
  2001: 'internal server error',
  2003: 'invalid json payload',
  2004: 'invalid data',
  2005: 'request body too large',
  2006: 'store unavailable',
  2007: 'a valid access token is required',
  2008: 'access token may not manage tickets of this project',
  2009: 'too many requests; retry later',
  2010: 'request not received in time',
  2011: 'request headers too large',
  102001: 'not found',
  102002: 'project header is required',
  102003: 'project not found',
  102009: 'project has reached its maximum number of tickets',
  102010: 'payload is too long',
  102011: 'ticket not found',
} as const;
export type TicketErrorCode = keyof typeof TICKET_ERRORS;

/** The admin API (`/admin/v1`): `{code, error}`. */
export const ADMIN_ERRORS = {
  103001: 'a valid master access token is required',
  103002: 'access token is not a master token',
  103003: 'tenant not found',
  103004: 'tenant already exists',
  103005: 'profile not found',
  103006: 'profile already exists',
  103007: 'access token not found',
  103008: 'access token already exists',
  103009: 'operation not allowed',
  103010: 'invalid value',
  103011: 'app not found',
  103012: 'app already exists',
  103013: 'grant not found',
  103014: 'too many password hashes waiting; retry later',
  103015: 'webhook endpoint not found',
} as const;
export type AdminErrorCode = keyof typeof ADMIN_ERRORS;

/** The profile surface (`/api/1`, Crafter Profile's codes): `{errorCode, message}`. */
export const PROFILE_ERROR_CODES = [
  'ACCESS_DENIED',
  'NO_SUCH_ACCESS_TOKEN_ID',
  'ACCESS_TOKEN_EXISTS',
  'ACTION_DENIED',
  'NO_SUCH_TENANT',
  'TENANT_EXISTS',
  'BAD_CREDENTIALS',
  'DISABLED_PROFILE',
  'PROFILE_LOCKED',
  'NO_SUCH_PROFILE',
  'PROFILE_EXISTS',
  'NO_SUCH_TICKET',
  'NO_SUCH_PERSISTENT_LOGIN',
  'PARAM_DESERIALIZATION_ERROR',
  'NOT_FOUND',
  'BODY_TOO_LARGE',
  'STORE_UNAVAILABLE',
  'SERVICE_BUSY',
  'TOO_MANY_REQUESTS',
  'REQUEST_TIMEOUT',
  'HEADERS_TOO_LARGE',
  'OTHER',
] as const;
export type ProfileErrorCode = (typeof PROFILE_ERROR_CODES)[number];

/** The Oz surface (`/v1/ticket*`, `/v1/rsvp`, `/oz/*`): Boom's `{statusCode, error, message}`; the message is the code. */
export const OZ_ERROR_MESSAGES = [
  'Cannot re-delegate',
  'Missing authentication',
  'Unknown credentials',
  'Bad mac',
  'Stale timestamp',
  'Invalid nonce',
  'Missing required payload hash',
  'Bad payload hash',
  'Bad ticket',
  'Expired ticket',
  'Invalid application',
  'Invalid grant',
  'Mismatching application id',
  'Mismatching delegated application id',
  'User ticket cannot be used on an application endpoint',
  'Application ticket cannot be used on a user ticket endpoint',
  'Invalid session',
  'New scope is not a subset of the parent ticket scope',
  'Grant scope is not a subset of the application scope',
  'Application has no delegation rights',
  'Ticket does not allow delegation',
  'Unknown application to issue to',
  'Invalid rsvp',
  'Mismatching ticket and rsvp apps',
  'Expired rsvp',
  'Not Found',
  'Store unavailable; retry later',
  'An internal server error occurred',
  'Request not received in time',
  'Request headers too large',
] as const;
/** An Oz refusal's message; a malformed request (400) carries Hawk's or the validator's own text. */
export type OzErrorMessage = (typeof OZ_ERROR_MESSAGES)[number];
