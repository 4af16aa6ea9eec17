import type { DomainErrorCode } from '../core/domain-error.js';
import { ApiError } from '../http/api-error.js';

/**
 * The admin API's error catalog (`/admin/v1`, and the messages of
 * `ticketd admin`): the ticket surface's `{"code", "error"}` model with its
 * own range, 103xxx. The ticket catalog's global codes apply here too
 * (2001 internal, 2003 invalid JSON, 2004 invalid data, 2005 body too large,
 * 2006 store unavailable, 102001 no such route). `docs/errors.md` lists the
 * same table; `test/errors-catalog.test.ts` keeps the two in sync.
 *
 * Body: `{"code": <code>, "error": <message>}`, plus `detail` (what the
 * request named: a tenant, an id; never a password or a token) where there is
 * one, and `invalid` on 2004.
 */
export const adminErrors = {
  unauthorized: { status: 401, code: 103001, error: 'a valid master access token is required' },
  forbidden: { status: 403, code: 103002, error: 'access token is not a master token' },
  tenantNotFound: { status: 404, code: 103003, error: 'tenant not found' },
  tenantExists: { status: 409, code: 103004, error: 'tenant already exists' },
  profileNotFound: { status: 404, code: 103005, error: 'profile not found' },
  profileExists: { status: 409, code: 103006, error: 'profile already exists' },
  accessTokenNotFound: { status: 404, code: 103007, error: 'access token not found' },
  accessTokenExists: { status: 409, code: 103008, error: 'access token already exists' },
  notAllowed: { status: 409, code: 103009, error: 'operation not allowed' },
  invalidValue: { status: 400, code: 103010, error: 'invalid value' },
  appNotFound: { status: 404, code: 103011, error: 'app not found' },
  appExists: { status: 409, code: 103012, error: 'app already exists' },
  grantNotFound: { status: 404, code: 103013, error: 'grant not found' },
  busy: { status: 503, code: 103014, error: 'too many password hashes waiting; retry later' },
  webhookNotFound: { status: 404, code: 103015, error: 'webhook endpoint not found' },
} as const;

export type AdminErrorName = keyof typeof adminErrors;

/**
 * Codes inside `invalid[]` of a 2004 answer that the ticket catalog's
 * validation codes (1001–1007) do not cover. One entry per field, for the
 * first rule it broke.
 */
export const adminValidationCodes = {
  boolean: { code: 103101, error: 'must be true or false' },
  format: { code: 103102, error: 'has an invalid format' },
  unknownField: { code: 103103, error: 'is not a known field' },
  oneOf: { code: 103104, error: 'is not an allowed value' },
  array: { code: 103105, error: 'must be a list' },
  maxItems: { code: 103106, error: 'must have at most {max} items' },
  object: { code: 103107, error: 'must be an object' },
} as const;

export type AdminValidationRule = keyof typeof adminValidationCodes;

/** Where each domain error of the core lands. Codes the admin operations cannot meet are bugs (2001). */
export const adminFromDomain: Partial<Record<DomainErrorCode, AdminErrorName>> = {
  NO_SUCH_TENANT: 'tenantNotFound',
  TENANT_EXISTS: 'tenantExists',
  NO_SUCH_PROFILE: 'profileNotFound',
  PROFILE_EXISTS: 'profileExists',
  NO_SUCH_ACCESS_TOKEN_ID: 'accessTokenNotFound',
  ACCESS_TOKEN_EXISTS: 'accessTokenExists',
  ACTION_DENIED: 'notAllowed',
  INVALID_PARAM: 'invalidValue',
  SERVICE_BUSY: 'busy',
};

export function adminError(name: AdminErrorName, detail?: string, headers: Record<string, string> = {}): ApiError {
  const e = adminErrors[name];
  const body: Record<string, unknown> = { code: e.code, error: e.error };
  if (detail !== undefined) body.detail = detail;
  return new ApiError(e.status, body, headers);
}
