import type { AdminErrorCode, OzErrorMessage, ProfileErrorCode, TicketErrorCode } from './catalog.js';

/** Which of ticketd's APIs answered: each has its own error body. */
export type Surface = 'tickets' | 'admin' | 'profile' | 'oz';

/** A field that failed validation (ticket and admin surfaces, code 2004). */
export interface InvalidField {
  field: string;
  code: number;
  error: string;
  data: Record<string, unknown> | null;
}

/**
 * ticketd refused a request. `code` is the catalog's code of the surface
 * that answered: a number on the ticket and admin surfaces, Crafter's
 * `errorCode` on the profile surface, Boom's message on the Oz surface.
 */
export class TicketdError extends Error {
  override readonly name = 'TicketdError';
  constructor(
    readonly surface: Surface,
    readonly status: number,
    readonly code: TicketErrorCode | AdminErrorCode | ProfileErrorCode | OzErrorMessage | number | string,
    message: string,
    /** The body as answered, for anything the fields above do not carry (`invalid`, `expired`, ...). */
    readonly body: Record<string, unknown>,
    /** Response headers worth keeping: `WWW-Authenticate` (Oz 401s), `Error-Id` (500s). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Ticket surface: `{code, error, invalid?}`. */
export class TicketError extends TicketdError {
  declare readonly code: TicketErrorCode;
  get invalid(): InvalidField[] {
    return (this.body.invalid as InvalidField[] | undefined) ?? [];
  }
}

/** Admin API: `{code, error, invalid?}` (its own 103xxx codes and the ticket surface's global ones). */
export class AdminError extends TicketdError {
  declare readonly code: AdminErrorCode | TicketErrorCode;
}

/** Profile surface: Crafter's `{errorCode, message}`. */
export class ProfileError extends TicketdError {
  declare readonly code: ProfileErrorCode;
}

/** Oz surface: Boom's `{statusCode, error, message}`; 401s carry `WWW-Authenticate: Hawk error="..."`. */
export class OzError extends TicketdError {
  declare readonly code: OzErrorMessage;
  /** `Expired ticket`: the ticket may be reissued. */
  get expired(): boolean {
    return this.body.expired === true;
  }
}

/** The error of an answer that is not 2xx, by the surface's body shape. */
export function errorOf(surface: Surface, status: number, body: unknown, headers: Headers): TicketdError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const kept: Record<string, string> = {};
  for (const name of ['www-authenticate', 'error-id']) {
    const v = headers.get(name);
    if (v !== null) kept[name] = v;
  }
  switch (surface) {
    case 'tickets':
      return new TicketError(surface, status, b.code as TicketErrorCode, String(b.error ?? status), b, kept);
    case 'admin':
      return new AdminError(surface, status, b.code as AdminErrorCode, String(b.error ?? status), b, kept);
    case 'profile':
      return new ProfileError(surface, status, b.errorCode as ProfileErrorCode, String(b.message ?? status), b, kept);
    case 'oz':
      return new OzError(surface, status, b.message as OzErrorMessage, String(b.message ?? status), b, kept);
  }
}
