/**
 * Errors of the identity domain (tenants, profiles, logins, access tokens),
 * named with Crafter Profile's error codes. Domain services throw them and
 * know nothing of HTTP; each surface maps a code to its own answer (the
 * profile surface in `src/profile/errors.ts`, the admin API to its own
 * `{code, error}` range).
 */
export type DomainErrorCode =
  /** No access token given, or it expired. */
  | 'ACCESS_DENIED'
  /** The access token given is unknown. */
  | 'NO_SUCH_ACCESS_TOKEN_ID'
  | 'ACCESS_TOKEN_EXISTS'
  /** The access token lacks the action on the tenant, or is not a master token where one is needed. */
  | 'ACTION_DENIED'
  | 'NO_SUCH_TENANT'
  | 'TENANT_EXISTS'
  | 'BAD_CREDENTIALS'
  | 'DISABLED_PROFILE'
  | 'PROFILE_LOCKED'
  | 'NO_SUCH_PROFILE'
  | 'PROFILE_EXISTS'
  | 'NO_SUCH_TICKET'
  | 'NO_SUCH_PERSISTENT_LOGIN'
  /** A value is well-formed but not acceptable (an undefined role, attributes that are not an object...). */
  | 'INVALID_PARAM'
  /** Too many password hashes are waiting: refused at once rather than queued without bound (retry later). */
  | 'SERVICE_BUSY';

export interface DomainErrorDetails {
  /** For PROFILE_LOCKED and SERVICE_BUSY: seconds after which to try again. */
  retryAfterSeconds?: number;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message);
  }
}

export const domainError = (code: DomainErrorCode, message: string, details?: DomainErrorDetails): DomainError =>
  new DomainError(code, message, details);
