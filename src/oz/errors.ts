import { STATUS_CODES } from 'node:http';
import { ApiError } from '../http/api-error.js';

/**
 * The Oz surface's error catalog (`/v1/ticket*`, `/v1/rsvp`, `/oz/*`).
 * Answers have Boom's shape, as the mylet API and Oz (on hapi) answer:
 * `{"statusCode": 401, "error": "Unauthorized", "message": "Bad mac"}`;
 * `Expired ticket` adds `"expired": true`. Every 401 carries
 * `WWW-Authenticate: Hawk error="<message>"` (with `ts` and `tsm` on
 * `Stale timestamp`). Messages are Oz's and Hawk's where they have one;
 * `message: null` rows say what the request did wrong in their own words.
 * `docs/errors.md` ("Oz surface") lists the same table;
 * `test/errors-catalog.test.ts` keeps the two in sync.
 */
export const ozErrors = {
  // ---- 400: the request is malformed
  badRequest: { status: 400, message: null },
  badHeader: { status: 400, message: null },
  cannotRedelegate: { status: 400, message: 'Cannot re-delegate' },
  // ---- 401: Hawk, tickets, grants, sessions
  missingAuthentication: { status: 401, message: 'Missing authentication' },
  unknownCredentials: { status: 401, message: 'Unknown credentials' },
  badMac: { status: 401, message: 'Bad mac' },
  staleTimestamp: { status: 401, message: 'Stale timestamp' },
  invalidNonce: { status: 401, message: 'Invalid nonce' },
  missingPayloadHash: { status: 401, message: 'Missing required payload hash' },
  badPayloadHash: { status: 401, message: 'Bad payload hash' },
  badTicket: { status: 401, message: 'Bad ticket' },
  expiredTicket: { status: 401, message: 'Expired ticket' },
  invalidApplication: { status: 401, message: 'Invalid application' },
  invalidGrant: { status: 401, message: 'Invalid grant' },
  mismatchingApplication: { status: 401, message: 'Mismatching application id' },
  mismatchingDelegation: { status: 401, message: 'Mismatching delegated application id' },
  userTicketOnAppEndpoint: { status: 401, message: 'User ticket cannot be used on an application endpoint' },
  appTicketOnUserEndpoint: { status: 401, message: 'Application ticket cannot be used on a user ticket endpoint' },
  invalidSession: { status: 401, message: 'Invalid session' },
  // ---- 403: authenticated, but not allowed
  scopeNotSubset: { status: 403, message: 'New scope is not a subset of the parent ticket scope' },
  grantScopeNotSubset: { status: 403, message: 'Grant scope is not a subset of the application scope' },
  noDelegationRights: { status: 403, message: 'Application has no delegation rights' },
  ticketNoDelegation: { status: 403, message: 'Ticket does not allow delegation' },
  unknownIssueTo: { status: 403, message: 'Unknown application to issue to' },
  invalidRsvp: { status: 403, message: 'Invalid rsvp' },
  mismatchingRsvp: { status: 403, message: 'Mismatching ticket and rsvp apps' },
  expiredRsvp: { status: 403, message: 'Expired rsvp' },
  rsvpInvalidGrant: { status: 403, message: 'Invalid grant' },
  rsvpInvalidApplication: { status: 403, message: 'Invalid application' },
  // ---- ticketd's own
  notFound: { status: 404, message: 'Not Found' },
  payloadTooLarge: { status: 413, message: null },
  requestTimeout: { status: 408, message: 'Request not received in time' },
  headersTooLarge: { status: 431, message: 'Request headers too large' },
  storeUnavailable: { status: 503, message: 'Store unavailable; retry later' },
  internal: { status: 500, message: 'An internal server error occurred' },
} as const satisfies Record<string, { status: number; message: string | null }>;

export type OzErrorName = keyof typeof ozErrors;

/**
 * A failure of the Oz domain or of Hawk verification, named by its catalog
 * entry; the surface's error handler turns it into the HTTP answer.
 */
export class OzError extends Error {
  override readonly name = 'OzError';
  constructor(
    readonly entry: OzErrorName,
    message: string,
    /** Extra body fields (`expired: true`). */
    readonly extra: Record<string, unknown> = {},
    /** Extra `WWW-Authenticate` attributes (`ts`, `tsm` on a stale timestamp). */
    readonly attributes: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

/** A catalog error; `message` is required for the entries whose message varies. */
export function ozError(
  name: OzErrorName,
  message?: string,
  extra?: Record<string, unknown>,
  attributes?: Record<string, string | number>,
): OzError {
  return new OzError(
    name,
    message ?? ozErrors[name].message ?? STATUS_CODES[ozErrors[name].status] ?? 'Error',
    extra,
    attributes,
  );
}

const quote = (v: string | number) => String(v).replace(/["\\]/g, '');

/** The HTTP answer of an OzError: Boom's body, and `WWW-Authenticate` on a 401. */
export function toBoom(err: OzError, headers: Record<string, string> = {}): ApiError {
  const status = ozErrors[err.entry].status;
  const body = { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message: err.message, ...err.extra };
  if (status !== 401) return new ApiError(status, body, headers);
  const attrs = Object.entries({ ...err.attributes, error: err.message })
    .map(([k, v]) => `${k}="${quote(v)}"`)
    .join(', ');
  return new ApiError(status, body, { ...headers, 'WWW-Authenticate': `Hawk ${attrs}` });
}
