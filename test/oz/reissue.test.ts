import * as Iron from '@hapi/iron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/core/access-tokens.js';
import type { OzAppRecord } from '../../src/store/types.js';
import {
  appCredentials,
  createApp,
  createProfileId,
  hawkHeader,
  type OzReply,
  post,
  startTestTicketd,
  T0,
  type TestTicketd,
  tamper,
  ticketCredentials,
  userTicket,
  verifyServerAuthorization,
} from './support.js';

let t: TestTicketd;
let app: OzAppRecord;
let delegating: OzAppRecord;
let other: OzAppRecord;

beforeAll(async () => {
  // Sessions that outlive a ticket, so that expired tickets meet a live session.
  t = await startTestTicketd({ config: { tenants: { default: { loginTicketMaxAge: 86_400 } } } });
  app = await createApp(t, { scope: ['a', 'b', 'c'] });
  delegating = await createApp(t, { scope: ['a', 'b'], delegate: true });
  other = await createApp(t, { scope: ['a'], extAttributes: ['email2'] });
});
afterAll(async () => {
  await t.stop();
});

const reissue = (ticket: Record<string, unknown>, body?: unknown, path = '/v1/ticket/reissue', options = {}) =>
  post(t, path, ticketCredentials(ticket), body, options);

function expectBoom(res: OzReply, status: number, message: string) {
  expect([res.status, res.body.statusCode, res.body.message]).toEqual([status, status, message]);
  if (status === 401) expect(res.headers['www-authenticate']).toBe(`Hawk error="${message}"`);
}

describe('POST /v1/ticket/reissue and /v1/ticket/refresh', () => {
  it('both paths: a new ticket with a fresh key, the same grant, user, app and scope, signed with the old ticket', async () => {
    const { ticket, profile } = await userTicket(t, app);
    t.clock.advance(1000);
    try {
      for (const path of ['/v1/ticket/reissue', '/v1/ticket/refresh']) {
        const authorization = hawkHeader(t, path, ticketCredentials(ticket), undefined);
        const res = await post(t, path, null, undefined, { authorization });
        expect(res.status).toBe(200);
        expect(Object.keys(res.body)).toEqual([
          'exp',
          'app',
          'scope',
          'grant',
          'user',
          'key',
          'algorithm',
          'ext',
          'id',
        ]);
        expect(res.body).toMatchObject({
          exp: T0 + 1000 + 3600_000,
          app: app.id,
          scope: ['a', 'b', 'c'],
          grant: ticket.grant,
          user: profile,
          ext: { dbs: '2e2ed05a-4f63-4850-9297-5b8384397dd0' },
        });
        expect(res.body.key).not.toBe(ticket.key);
        expect(res.body.id).not.toBe(ticket.id);
        verifyServerAuthorization(path, ticketCredentials(ticket), authorization, res);
      }
    } finally {
      t.clock.set(T0);
    }
  });

  it('the reissued ticket works in turn; ext follows the profile’s current attributes', async () => {
    const { ticket, profile } = await userTicket(t, app);
    await t.identity.profiles.update(SYSTEM_ACTOR, profile, { attributes: { dbs: 'changed' } });
    const next = (await reissue(ticket)).body;
    expect(next.ext).toEqual({ dbs: 'changed' });
    const third = await reissue(next, {}, '/v1/ticket/refresh');
    expect(third.status).toBe(200);
  });

  it('the Oz client’s empty JSON body (Content-Type application/json, no bytes) and null are accepted', async () => {
    const { ticket } = await userTicket(t, app);
    const empty = await post(t, '/v1/ticket/reissue', ticketCredentials(ticket), undefined, {
      headers: { 'content-type': 'application/json' },
    });
    expect(empty.status).toBe(200);
    expect((await reissue(ticket, 'null')).status).toBe(200);
  });

  it('an expired ticket may be reissued while its grant lives', async () => {
    const { ticket } = await userTicket(t, app);
    t.clock.advance(2 * 3600_000);
    try {
      const res = await reissue(ticket);
      expect(res.status).toBe(200);
      expect(res.body.exp).toBe(t.clock.now() + 3600_000);
    } finally {
      t.clock.set(T0);
    }
  });

  it('Invalid grant: revoked, expired, session invalidated or expired, profile disabled or deleted', async () => {
    const revoked = await userTicket(t, app);
    await t.store.grants.delete(revoked.ticket.grant as string);
    expectBoom(await reissue(revoked.ticket), 401, 'Invalid grant');

    const loggedOut = await userTicket(t, app);
    await t.identity.logins.invalidateTicket(SYSTEM_ACTOR, loggedOut.session);
    expectBoom(await reissue(loggedOut.ticket), 401, 'Invalid grant');

    const disabled = await userTicket(t, app);
    await t.identity.profiles.update(SYSTEM_ACTOR, disabled.profile, { enabled: false });
    expectBoom(await reissue(disabled.ticket), 401, 'Invalid grant');
    // Disabling revoked its grants too: enabling it again (with a new session) does not revive them.
    expect(await t.store.grants.list({ user: disabled.profile }, t.clock.now(), 10)).toEqual([]);
    await t.identity.profiles.update(SYSTEM_ACTOR, disabled.profile, { enabled: true });
    expectBoom(await reissue(disabled.ticket), 401, 'Invalid grant');

    const deleted = await userTicket(t, app);
    await t.identity.profiles.delete(SYSTEM_ACTOR, deleted.profile);
    expectBoom(await reissue(deleted.ticket), 401, 'Invalid grant');

    const idle = await userTicket(t, app);
    t.clock.advance(86_400_000);
    try {
      expectBoom(await reissue(idle.ticket), 401, 'Invalid grant');
    } finally {
      t.clock.set(T0);
    }
  });

  it('the grant expires after 30 days even with a live session', async () => {
    const { ticket } = await userTicket(t, app);
    // Keep the session alive by reissuing every 12 hours.
    let current = ticket;
    for (let h = 12; h < 30 * 24; h += 12) {
      t.clock.set(T0 + h * 3600_000);
      const res = await reissue(current);
      expect(res.status, `at ${h} h`).toBe(200);
      current = res.body;
    }
    t.clock.set(T0 + 30 * 86400_000);
    try {
      expectBoom(await reissue(current), 401, 'Invalid grant');
    } finally {
      t.clock.set(T0);
    }
  });

  it('scope may only narrow', async () => {
    const { ticket } = await userTicket(t, app);
    const narrow = await reissue(ticket, { scope: ['b'] });
    expect(narrow.body.scope).toEqual(['b']);
    expectBoom(
      await reissue(ticket, { scope: ['a', 'x'] }),
      403,
      'New scope is not a subset of the parent ticket scope',
    );
    expectBoom(
      await reissue(narrow.body, { scope: ['a'] }),
      403,
      'New scope is not a subset of the parent ticket scope',
    );
    expect((await reissue(narrow.body, { scope: [] })).body.scope).toEqual([]);
  });

  it('delegation: issueTo needs the app’s delegate right; no re-delegation; the delegated ticket signs with dlg', async () => {
    const plain = await userTicket(t, app);
    expectBoom(await reissue(plain.ticket, { issueTo: other.id }), 403, 'Application has no delegation rights');

    const { ticket, profile } = await userTicket(t, delegating);
    const res = await reissue(ticket, { issueTo: other.id, scope: ['a'] });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual([
      'exp',
      'app',
      'scope',
      'grant',
      'user',
      'dlg',
      'key',
      'algorithm',
      'ext',
      'id',
    ]);
    expect(res.body).toMatchObject({ app: other.id, dlg: delegating.id, grant: ticket.grant, user: profile, ext: {} });

    const delegated = res.body;
    // Its own reissue keeps app and dlg (the grant is the delegating app's).
    const again = await reissue(delegated);
    expect(again.body).toMatchObject({ app: other.id, dlg: delegating.id });
    // Oz checks the (delegated-to) app's right first, then re-delegation.
    expectBoom(await reissue(delegated, { issueTo: delegating.id }), 403, 'Application has no delegation rights');
    const mayDelegate = await createApp(t, { scope: ['a'], delegate: true });
    const toDelegate = (await reissue(ticket, { issueTo: mayDelegate.id, scope: ['a'] })).body;
    expectBoom(await reissue(toDelegate, { issueTo: delegating.id }), 400, 'Cannot re-delegate');
    // The header must carry the ticket's dlg.
    expectBoom(
      await reissue(delegated, undefined, undefined, { dlg: null }),
      401,
      'Mismatching delegated application id',
    );
    expectBoom(
      await reissue(ticket, undefined, undefined, { dlg: other.id }),
      401,
      'Mismatching delegated application id',
    );

    expectBoom(await reissue(ticket, { issueTo: 'com.example.nobody' }), 403, 'Unknown application to issue to');
    await t.tenants.put('elsewhere', {});
    const foreign = await createApp(t, { tenant: 'elsewhere' });
    expectBoom(await reissue(ticket, { issueTo: foreign.id }), 403, 'Unknown application to issue to');
  });

  it('the header’s app must be the ticket’s', async () => {
    const { ticket } = await userTicket(t, app);
    expectBoom(await reissue(ticket, undefined, undefined, { app: other.id }), 401, 'Mismatching application id');
    expectBoom(await reissue(ticket, undefined, undefined, { app: null }), 401, 'Mismatching application id');
  });

  it('a deleted app: Invalid application', async () => {
    const gone = await createApp(t);
    const { ticket } = await userTicket(t, gone);
    await t.store.apps.delete(gone.id);
    expectBoom(await reissue(ticket), 401, 'Invalid application');
  });

  it('tampered, foreign and malformed ticket ids: 401 Bad ticket, never 500', async () => {
    const { ticket } = await userTicket(t, app);
    const id = ticket.id as string;
    const parts = id.split('*');
    parts[4] = tamper(parts[4] as string);
    const foreign = await Iron.seal({ ...ticket, id: undefined }, 'f'.repeat(32), Iron.defaults);
    for (const bad of [parts.join('*'), foreign, 'Fe26.2**x', 'not-a-ticket', tamper(id)]) {
      expectBoom(await reissue({ ...ticket, id: bad }), 401, 'Bad ticket');
    }
  });

  it('bad reissue options: 400 with Oz’s messages', async () => {
    const { ticket } = await userTicket(t, app);
    expectBoom(await reissue(ticket, { scope: 'a' }), 400, 'Invalid request payload: "scope" expected array');
    expectBoom(await reissue(ticket, { scope: ['a', 'a'] }), 400, 'scope includes duplicated item');
    expectBoom(await reissue(ticket, { scope: [''] }), 400, 'scope includes null or empty string value');
    expectBoom(await reissue(ticket, { grant: 'x' }), 400, 'Invalid request payload: "grant" is not allowed');
    expectBoom(await reissue(ticket, '{'), 400, 'Invalid request payload JSON format');
  });

  it('answers after a verified signature carry Server-Authorization (also refusals); failed signatures do not', async () => {
    const { ticket } = await userTicket(t, app);
    const body = JSON.stringify({ scope: ['x'] });
    const authorization = hawkHeader(t, '/v1/ticket/reissue', ticketCredentials(ticket), body);
    const refused = await post(t, '/v1/ticket/reissue', null, body, { authorization });
    expect(refused.status).toBe(403);
    verifyServerAuthorization('/v1/ticket/reissue', ticketCredentials(ticket), authorization, refused);
    const badMac = await reissue({ ...ticket, key: 'z'.repeat(32) });
    expectBoom(badMac, 401, 'Bad mac');
    expect(badMac.headers['server-authorization']).toBeUndefined();
  });

  it('an app’s credentials are no ticket', async () => {
    expectBoom(await post(t, '/v1/ticket/reissue', appCredentials(app)), 401, 'Bad ticket');
  });
});

describe('profile events end grants', () => {
  it('a new password ends the sessions, and with them every grant of the profile', async () => {
    const profile = await createProfileId(t);
    const one = await userTicket(t, app, profile);
    await t.identity.profiles.update(SYSTEM_ACTOR, profile, { password: 'a new password' });
    expectBoom(await reissue(one.ticket), 401, 'Invalid grant');
    expect(await t.store.grants.list({ user: profile }, t.clock.now(), 10)).toEqual([]);
  });
});
