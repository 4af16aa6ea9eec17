import { describe, expect, it } from 'vitest';
import { ADMIN_ERRORS, OZ_ERROR_MESSAGES, PROFILE_ERROR_CODES, TICKET_ERRORS } from '../packages/client/src/catalog.js';
import { adminErrors } from '../src/admin/errors.js';
import { ozErrors } from '../src/oz/errors.js';
import { profileErrors } from '../src/profile/errors.js';
import { ticketErrors } from '../src/tickets/errors.js';

/** The client's error types come from its catalog (packages/client/src/catalog.ts): it must be the server's. */
describe('the client catalog is the server catalog', () => {
  it('ticket surface: every code with its text', () => {
    expect(TICKET_ERRORS).toEqual(Object.fromEntries(Object.values(ticketErrors).map((e) => [e.code, e.error])));
  });

  it('admin API: every code with its text', () => {
    expect(ADMIN_ERRORS).toEqual(Object.fromEntries(Object.values(adminErrors).map((e) => [e.code, e.error])));
  });

  it('profile surface: every errorCode', () => {
    expect([...PROFILE_ERROR_CODES].sort()).toEqual(
      [...new Set(Object.values(profileErrors).map((e) => e.errorCode))].sort(),
    );
  });

  it('Oz surface: every message of its own', () => {
    const server = new Set(Object.values(ozErrors).flatMap((e) => (e.message === null ? [] : [e.message])));
    expect([...OZ_ERROR_MESSAGES].sort()).toEqual([...server].sort());
  });
});
