import { ApiError } from '../http/api-error.js';

/**
 * The ticket surface's error catalog: Authen's codes, kept as Authen numbers
 * them, plus ticketd's own global codes (2005–2011). `docs/errors.md` lists
 * the same table; `test/errors-catalog.test.ts` keeps the two in sync.
 * Body: `{"code": <code>, "error": <message>}`.
 */
export const ticketErrors = {
  internal: { status: 500, code: 2001, error: 'internal server error' },
  invalidJson: { status: 400, code: 2003, error: 'invalid json payload' },
  invalidData: { status: 400, code: 2004, error: 'invalid data' },
  bodyTooLarge: { status: 413, code: 2005, error: 'request body too large' },
  storeUnavailable: { status: 503, code: 2006, error: 'store unavailable' },
  unauthorized: { status: 401, code: 2007, error: 'a valid access token is required' },
  forbidden: { status: 403, code: 2008, error: 'access token may not manage tickets of this project' },
  rateLimited: { status: 429, code: 2009, error: 'too many requests; retry later' },
  requestTimeout: { status: 408, code: 2010, error: 'request not received in time' },
  headersTooLarge: { status: 431, code: 2011, error: 'request headers too large' },
  notFound: { status: 404, code: 102001, error: 'not found' },
  projectMissing: { status: 400, code: 102002, error: 'project header is required' },
  projectUnknown: { status: 400, code: 102003, error: 'project not found' },
  ticketLimit: { status: 400, code: 102009, error: 'project has reached its maximum number of tickets' },
  payloadTooLong: { status: 400, code: 102010, error: 'payload is too long' },
  ticketNotFound: { status: 404, code: 102011, error: 'ticket not found' },
} as const;

export type TicketErrorName = keyof typeof ticketErrors;

/**
 * Codes used inside `invalid[]` of a 2004 answer, one per failed rule.
 * `data` carries the rule's bound where it has one (e.g. `{"min": 0}`).
 */
export const validationCodes = {
  required: { code: 1001, error: 'required' },
  string: { code: 1002, error: 'must be a string' },
  stringLength: { code: 1003, error: 'must be between {min} and {max} characters' },
  integer: { code: 1005, error: 'must be a whole number' },
  min: { code: 1006, error: 'must be greater or equal to {min}' },
  max: { code: 1007, error: 'must be less or equal to {max}' },
  base64: { code: 101002, error: 'must be a base64 value' },
} as const;

export type ValidationRule = keyof typeof validationCodes;

export function ticketError(
  name: TicketErrorName,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): ApiError {
  const e = ticketErrors[name];
  return new ApiError(e.status, { code: e.code, error: e.error, ...extra }, headers);
}
