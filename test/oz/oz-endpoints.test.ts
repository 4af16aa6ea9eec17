import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/core/access-tokens.js';
import type { OzAppRecord } from '../../src/store/types.js';
import {
  appCredentials,
  createApp,
  createProfileId,
  hawkHeader,
  login,
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
let other: OzAppRecord;

beforeAll(async () => {
  t = await startTestTicketd();
  app = await createApp(t, { scope: ['a', 'b'] });
  other = await createApp(t);
});
afterAll(async () => {
  await t.stop();
});

function expectBoom(res: OzReply, status: number, message: string) {
  expect([res.status, res.body.statusCode, res.body.message]).toEqual([status, status, message]);
  if (status === 401) expect(res.headers['www-authenticate']).toBe(`Hawk error="${message}"`);
}

async function appTicket(a: OzAppRecord = app): Promise<Record<string, unknown>> {
  const res = await post(t, '/oz/app', appCredentials(a));
  expect(res.status).toBe(200);
  return res.body;
}

async function rsvpFor(a: OzAppRecord, profile?: string, scope?: string[]) {
  const p = profile ?? (await createProfileId(t));
  const session = await login(t, p);
  const res = await post(t, '/v1/rsvp', null, { session, app: a.id, ...(scope ? { scope } : {}) });
  expect(res.status, res.text).toBe(200);
  return { rsvp: res.body.rsvp as string, profile: p, session };
}

describe('POST /oz/app', () => {
  it('an app ticket: no grant, no user; signed answer', async () => {
    const authorization = hawkHeader(t, '/oz/app', appCredentials(app), undefined);
    const res = await post(t, '/oz/app', null, undefined, { authorization });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['exp', 'app', 'scope', 'key', 'algorithm', 'ext', 'id']);
    expect(res.body).toMatchObject({
      exp: T0 + 3600_000,
      app: app.id,
      scope: ['a', 'b'],
      algorithm: 'sha256',
      ext: {},
    });
    verifyServerAuthorization('/oz/app', appCredentials(app), authorization, res);
  });

  it('Hawk failures', async () => {
    expectBoom(await post(t, '/oz/app', { ...appCredentials(app), key: 'q'.repeat(40) }), 401, 'Bad mac');
    expectBoom(await post(t, '/oz/app', null), 401, 'Missing authentication');
  });
});

describe('POST /oz/reissue', () => {
  it('reissues app tickets (expired ones too) and user tickets', async () => {
    const ticket = await appTicket();
    t.clock.advance(2 * 3600_000);
    try {
      const res = await post(t, '/oz/reissue', ticketCredentials(ticket));
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['exp', 'app', 'scope', 'key', 'algorithm', 'ext', 'id']);
      expect(res.body.exp).toBe(t.clock.now() + 3600_000);
    } finally {
      t.clock.set(T0);
    }
    const user = await userTicket(t, app);
    const res = await post(t, '/oz/reissue', ticketCredentials(user.ticket), { scope: ['a'] });
    expect(res.body).toMatchObject({ grant: user.ticket.grant, user: user.profile, scope: ['a'] });
  });

  it('the mylet paths take user tickets only', async () => {
    const ticket = await appTicket();
    expectBoom(
      await post(t, '/v1/ticket/reissue', ticketCredentials(ticket)),
      401,
      'Application ticket cannot be used on a user ticket endpoint',
    );
  });

  it('an app ticket of a deleted app: Invalid application', async () => {
    const gone = await createApp(t);
    const ticket = await appTicket(gone);
    await t.store.apps.delete(gone.id);
    expectBoom(await post(t, '/oz/reissue', ticketCredentials(ticket)), 401, 'Invalid application');
  });
});

describe('POST /v1/rsvp and POST /oz/rsvp', () => {
  it('consent → rsvp → user ticket, on the grant the consent made', async () => {
    const { rsvp, profile } = await rsvpFor(app, undefined, ['b']);
    expect(rsvp).toMatch(/^Fe26\.2\*\w+\*/);
    const ticket = await appTicket();
    const res = await post(t, '/oz/rsvp', ticketCredentials(ticket), { rsvp });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['exp', 'app', 'scope', 'grant', 'user', 'key', 'algorithm', 'ext', 'id']);
    expect(res.body).toMatchObject({ app: app.id, user: profile, scope: ['b'] });
    const grant = await t.store.grants.get(res.body.grant as string, t.clock.now());
    expect(grant).toMatchObject({ app: app.id, user: profile, scope: ['b'] });
    // The user ticket reissues like any other.
    expect((await post(t, '/v1/ticket/reissue', ticketCredentials(res.body))).status).toBe(200);
  });

  it('POST /v1/rsvp refusals', async () => {
    const session = await login(t, await createProfileId(t));
    expectBoom(await post(t, '/v1/rsvp', null, { session: 'nope', app: app.id }), 401, 'Invalid session');
    expectBoom(await post(t, '/v1/rsvp', null, { session, app: 'com.example.nobody' }), 403, 'Invalid application');
    expectBoom(
      await post(t, '/v1/rsvp', null, { session, app: app.id, scope: ['a', 'z'] }),
      403,
      'Grant scope is not a subset of the application scope',
    );
    expectBoom(await post(t, '/v1/rsvp', null, { session }), 400, 'Invalid request payload: "app" is required');
    await t.tenants.put('elsewhere', {});
    const foreign = await createApp(t, { tenant: 'elsewhere' });
    expectBoom(await post(t, '/v1/rsvp', null, { session, app: foreign.id }), 401, 'Invalid session');
  });

  it('POST /oz/rsvp refusals, as Oz answers them', async () => {
    const ticket = await appTicket();
    const { rsvp, session } = await rsvpFor(app);
    // Another app's ticket.
    expectBoom(
      await post(t, '/oz/rsvp', ticketCredentials(await appTicket(other)), { rsvp }),
      403,
      'Mismatching ticket and rsvp apps',
    );
    // A user ticket.
    const user = await userTicket(t, app);
    expectBoom(
      await post(t, '/oz/rsvp', ticketCredentials(user.ticket), { rsvp }),
      401,
      'User ticket cannot be used on an application endpoint',
    );
    // Tampered, foreign, or a ticket id passed as an rsvp.
    for (const bad of [tamper(rsvp), 'Fe26.2**x', ticket.id as string]) {
      expectBoom(await post(t, '/oz/rsvp', ticketCredentials(ticket), { rsvp: bad }), 403, 'Invalid rsvp');
    }
    // An rsvp passed as a ticket id.
    expectBoom(await post(t, '/oz/rsvp', { ...ticketCredentials(ticket), id: rsvp }, { rsvp }), 401, 'Bad ticket');
    // Missing body.
    expectBoom(await post(t, '/oz/rsvp', ticketCredentials(ticket)), 400, 'Missing required payload');
    // The session ends: the grant is no longer usable.
    await t.identity.logins.invalidateTicket(SYSTEM_ACTOR, session);
    expectBoom(await post(t, '/oz/rsvp', ticketCredentials(ticket), { rsvp }), 403, 'Invalid grant');
  });

  it('an rsvp lives 60 s; an expired app ticket is refused with expired: true', async () => {
    const { rsvp } = await rsvpFor(app);
    t.clock.advance(60_000);
    try {
      const ticket = await appTicket();
      expectBoom(await post(t, '/oz/rsvp', ticketCredentials(ticket), { rsvp }), 403, 'Expired rsvp');
      t.clock.advance(3600_000);
      const expired = await post(t, '/oz/rsvp', ticketCredentials(ticket), { rsvp });
      expect(expired.status).toBe(401);
      expect(expired.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'Expired ticket',
        expired: true,
      });
      expect(expired.headers['www-authenticate']).toBe('Hawk error="Expired ticket"');
    } finally {
      t.clock.set(T0);
    }
  });
});

describe('routes', () => {
  it('unknown /oz paths: Boom 404', async () => {
    const res = await post(t, '/oz/nothing', null, {});
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Not Found' });
  });

  it('/metrics counts refusals by reason', async () => {
    await post(t, '/oz/app', { ...appCredentials(app), key: 'm'.repeat(40) });
    const res = await t.server.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toMatch(/^ticketd_oz_refusals_total\{reason="Bad mac"\} [1-9]\d*$/m);
  });

  it('/openapi.json documents the Oz routes', async () => {
    const res = await t.server.inject({ method: 'GET', url: '/openapi.json' });
    const doc = JSON.parse(res.body) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    for (const path of [
      '/v1/ticket',
      '/v1/ticket/reissue',
      '/v1/ticket/refresh',
      '/v1/rsvp',
      '/oz/app',
      '/oz/reissue',
      '/oz/rsvp',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.components.schemas.OzError).toBeDefined();
  });
});
