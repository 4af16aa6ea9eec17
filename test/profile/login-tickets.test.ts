import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  apiCreateProfile,
  authenticate,
  createTenant,
  createToken,
  expectProfileError,
  ok,
  type ProfileJson,
  startTestTicketd,
  type TestTicketd,
  type TicketJson,
} from './support.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('login tickets', () => {
  let t: TestTicketd;
  let profile: ProfileJson & { password: string };

  beforeAll(async () => {
    t = await startTestTicketd();
    profile = await apiCreateProfile(t);
  });
  afterAll(async () => {
    await t.stop();
  });

  describe('POST /authentication/authenticate', () => {
    it('answers a ticket in the seed’s shape and key order', async () => {
      const res = await authenticate(t, profile.username, profile.password);
      const ticket = ok<TicketJson>(res);
      expect(Object.keys(ticket)).toEqual(['tenant', 'profileId', 'lastRequestTime', 'id']);
      expect(ticket).toEqual({
        tenant: 'default',
        profileId: profile.id,
        lastRequestTime: t.clock.now(),
        id: ticket.id,
      });
      expect(ticket.id).toMatch(UUID_V4);
    });

    it('works with query-string and JSON parameters too', async () => {
      for (const as of ['query', 'json'] as const) {
        const res = await api(
          t,
          'POST',
          '/authentication/authenticate',
          { tenantName: 'default', username: profile.username, password: profile.password },
          { as },
        );
        expect(res.statusCode, `${as}: ${res.body}`).toBe(200);
      }
    });

    it('wrong password: 401 BAD_CREDENTIALS', async () => {
      const other = await apiCreateProfile(t);
      expectProfileError(
        await authenticate(t, other.username, 'wrong'),
        401,
        'BAD_CREDENTIALS',
        'Invalid username and/or password',
      );
    });

    it('unknown username: 401 BAD_CREDENTIALS', async () => {
      expectProfileError(await authenticate(t, 'nobody-at-all', 'x'), 401, 'BAD_CREDENTIALS');
    });

    it('username of another tenant: 401 BAD_CREDENTIALS', async () => {
      await createTenant(t, 'other-auth');
      expectProfileError(
        await authenticate(t, profile.username, profile.password, 'other-auth'),
        401,
        'BAD_CREDENTIALS',
      );
    });

    it('unknown tenant: 404 NO_SUCH_TENANT', async () => {
      expectProfileError(
        await authenticate(t, profile.username, profile.password, 'no-such'),
        404,
        'NO_SUCH_TENANT',
        'No tenant with name "no-such" found',
      );
    });

    it('disabled profile with the right password: 403 DISABLED_PROFILE', async () => {
      const p = await apiCreateProfile(t, { enabled: false });
      expectProfileError(
        await authenticate(t, p.username, p.password),
        403,
        'DISABLED_PROFILE',
        `Profile "${p.id}" of tenant "default" is disabled`,
      );
      // A wrong password on a disabled profile does not tell it is disabled.
      expectProfileError(await authenticate(t, p.username, 'wrong'), 401, 'BAD_CREDENTIALS');
    });

    it('missing parameters: 400 PARAM_DESERIALIZATION_ERROR', async () => {
      const res = await api(t, 'POST', '/authentication/authenticate', { tenantName: 'default', username: 'x' });
      expectProfileError(res, 400, 'PARAM_DESERIALIZATION_ERROR', 'Required parameter "password" is missing');
    });

    it('an oversized password is BAD_CREDENTIALS, never a 5xx', async () => {
      expectProfileError(await authenticate(t, profile.username, 'x'.repeat(5000)), 401, 'BAD_CREDENTIALS');
    });
  });

  describe('POST /authentication/ticket/create', () => {
    it('creates a ticket for a profile', async () => {
      const res = await api(t, 'POST', '/authentication/ticket/create', { profileId: profile.id });
      const ticket = ok<TicketJson>(res);
      expect(Object.keys(ticket)).toEqual(['tenant', 'profileId', 'lastRequestTime', 'id']);
      expect(ticket.profileId).toBe(profile.id);
      ok(await api(t, 'GET', `/authentication/ticket/${ticket.id}`));
    });

    it('unknown, malformed or missing profile id', async () => {
      expectProfileError(
        await api(t, 'POST', '/authentication/ticket/create', { profileId: '5925a68def86951f895cf497' }),
        404,
        'NO_SUCH_PROFILE',
        'No profile with ID "5925a68def86951f895cf497" found',
      );
      for (const bad of ['nope', 'zz25a68def86951f895cf497', '5925a68def86951f895cf4977', "'; drop", ' ']) {
        const res = await api(t, 'POST', '/authentication/ticket/create', { profileId: bad });
        expectProfileError(res, 404, 'NO_SUCH_PROFILE');
      }
      expectProfileError(await api(t, 'POST', '/authentication/ticket/create'), 400, 'PARAM_DESERIALIZATION_ERROR');
    });

    it('an uppercase spelling of the id is the same profile', async () => {
      ok(await api(t, 'POST', '/authentication/ticket/create', { profileId: profile.id.toUpperCase() }));
    });

    it('disabled profile: 403 DISABLED_PROFILE', async () => {
      const p = await apiCreateProfile(t, { enabled: false });
      expectProfileError(
        await api(t, 'POST', '/authentication/ticket/create', { profileId: p.id }),
        403,
        'DISABLED_PROFILE',
      );
    });
  });

  describe('GET /authentication/ticket/{id}', () => {
    it('slides lastRequestTime to now', async () => {
      const ticket = ok<TicketJson>(await authenticate(t, profile.username, profile.password));
      t.clock.advance(10_000);
      const got = ok<TicketJson>(await api(t, 'GET', `/authentication/ticket/${ticket.id}`));
      expect(got).toEqual({ ...ticket, lastRequestTime: ticket.lastRequestTime + 10_000 });
    });

    it('expires loginTicketMaxAge after the last request (sliding), checked on read', async () => {
      const ticket = ok<TicketJson>(await authenticate(t, profile.username, profile.password));
      // Kept alive by a request every 899 s, well past 900 s in total.
      for (let i = 0; i < 3; i++) {
        t.clock.advance(899_000);
        ok(await api(t, 'GET', `/authentication/ticket/${ticket.id}`));
      }
      t.clock.advance(900_000);
      expectProfileError(
        await api(t, 'GET', `/authentication/ticket/${ticket.id}`),
        404,
        'NO_SUCH_TICKET',
        `No ticket with ID "${ticket.id}" found`,
      );
    });

    it('follows the tenant’s loginTicketMaxAge', async () => {
      await createTenant(t, 'short-sessions', { loginTicketMaxAge: 5 });
      const p = await apiCreateProfile(t, { tenantName: 'short-sessions' });
      const ticket = ok<TicketJson>(await authenticate(t, p.username, p.password, 'short-sessions'));
      t.clock.advance(4_999);
      ok(await api(t, 'GET', `/authentication/ticket/${ticket.id}`));
      t.clock.advance(5_000);
      expectProfileError(await api(t, 'GET', `/authentication/ticket/${ticket.id}`), 404, 'NO_SUCH_TICKET');
    });

    it('unknown or malformed id: 404 NO_SUCH_TICKET', async () => {
      for (const id of ['7f036af3-1ab9-4791-b615-ecaece3f0010', 'x', 'a'.repeat(300)]) {
        expectProfileError(await api(t, 'GET', `/authentication/ticket/${id}`), 404, 'NO_SUCH_TICKET');
      }
    });
  });

  describe('POST /authentication/ticket/{id}/invalidate', () => {
    it('ends the ticket: 200 with an empty body', async () => {
      const ticket = ok<TicketJson>(await authenticate(t, profile.username, profile.password));
      const res = await api(t, 'POST', `/authentication/ticket/${ticket.id}/invalidate`);
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('');
      expectProfileError(await api(t, 'GET', `/authentication/ticket/${ticket.id}`), 404, 'NO_SUCH_TICKET');
    });

    it('unknown id: 200, a no-op', async () => {
      const res = await api(t, 'POST', '/authentication/ticket/7f036af3-1ab9-4791-b615-ecaece3f0010/invalidate');
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('');
    });

    it('needs MANAGE_TICKETS on the ticket’s tenant', async () => {
      const ticket = ok<TicketJson>(await authenticate(t, profile.username, profile.password));
      const token = await createToken(t, {
        tenantPermissions: [{ tenant: 'default', allowedActions: ['MANAGE_PROFILES'] }],
      });
      expectProfileError(
        await api(t, 'POST', `/authentication/ticket/${ticket.id}/invalidate`, {}, { accessTokenId: token }),
        403,
        'ACTION_DENIED',
      );
      ok(await api(t, 'GET', `/authentication/ticket/${ticket.id}`));
    });
  });

  describe('GET /profile/by_ticket', () => {
    it('answers the profile and refreshes the ticket', async () => {
      const ticket = ok<TicketJson>(await authenticate(t, profile.username, profile.password));
      t.clock.advance(800_000);
      const got = ok<ProfileJson>(await api(t, 'GET', '/profile/by_ticket', { ticketId: ticket.id }));
      expect(got.id).toBe(profile.id);
      expect(got).not.toHaveProperty('password');
      t.clock.advance(800_000); // 1600 s after creation, 800 s after the refresh
      ok(await api(t, 'GET', `/authentication/ticket/${ticket.id}`));
    });

    it('attributeToReturn filters the attributes', async () => {
      const p = await apiCreateProfile(t, { attributes: JSON.stringify({ a: 1, b: 2, c: 3 }) });
      const ticket = ok<TicketJson>(await authenticate(t, p.username, p.password));
      const got = ok<ProfileJson>(
        await api(t, 'GET', '/profile/by_ticket', { ticketId: ticket.id, attributeToReturn: ['a', 'c'] }),
      );
      expect(got.attributes).toEqual({ a: 1, c: 3 });
    });

    it('unknown or expired ticket: 400 NO_SUCH_TICKET', async () => {
      expectProfileError(
        await api(t, 'GET', '/profile/by_ticket', { ticketId: '7f036af3-1ab9-4791-b615-ecaece3f0010' }),
        400,
        'NO_SUCH_TICKET',
      );
      const ticket = ok<TicketJson>(await authenticate(t, profile.username, profile.password));
      t.clock.advance(900_000);
      expectProfileError(await api(t, 'GET', '/profile/by_ticket', { ticketId: ticket.id }), 400, 'NO_SUCH_TICKET');
    });

    it('missing ticketId: 400 PARAM_DESERIALIZATION_ERROR', async () => {
      expectProfileError(await api(t, 'GET', '/profile/by_ticket'), 400, 'PARAM_DESERIALIZATION_ERROR');
    });
  });

  describe('background purge', () => {
    it('removes expired login tickets and persistent logins from the store', async () => {
      const ticket = ok<TicketJson>(await authenticate(t, profile.username, profile.password));
      ok(await api(t, 'POST', '/authentication/persistent_login/create', { profileId: profile.id }));
      t.clock.advance(1_296_000_000);
      const removed = await t.purger.runOnce();
      expect(removed).toBeGreaterThanOrEqual(2);
      expectProfileError(await api(t, 'GET', `/authentication/ticket/${ticket.id}`), 404, 'NO_SUCH_TICKET');
      expect(await t.purger.runOnce()).toBe(0);
    });
  });
});
