import hawk from 'hawk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/core/access-tokens.js';
import { loginIdHash } from '../../src/core/logins.js';
import type { OzAppRecord } from '../../src/store/types.js';
import {
  appCredentials,
  createApp,
  createProfileId,
  hawkHeader,
  login,
  post,
  startTestTicketd,
  T0,
  type TestTicketd,
  ticketCredentials,
  userTicket,
  verifyServerAuthorization,
} from './support.js';

let t: TestTicketd;
let app: OzAppRecord;

beforeAll(async () => {
  t = await startTestTicketd();
  app = await createApp(t, { id: 'com.example.mymylet', extAttributes: ['dbs', 'missing'] });
});
afterAll(async () => {
  await t.stop();
});

function expectBoom(
  res: { status: number; body: Record<string, unknown>; headers: Record<string, unknown> },
  status: number,
  message: string,
) {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: {
      statusCode: status,
      error: { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden' }[status],
      message,
    },
  });
  if (status === 401) expect(res.headers['www-authenticate']).toBe(`Hawk error="${message}"`);
}

describe('POST /v1/ticket', () => {
  it('exchanges a session for a user ticket: the seed’s keys in the seed’s order, signed answer', async () => {
    const profile = await createProfileId(t);
    const session = await login(t, profile);
    const body = JSON.stringify({ session });
    const authorization = hawkHeader(t, '/v1/ticket', appCredentials(app), body);
    const res = await post(t, '/v1/ticket', null, body, { authorization });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['exp', 'app', 'scope', 'grant', 'user', 'key', 'algorithm', 'ext', 'id']);
    expect(res.body).toMatchObject({
      exp: T0 + 3600_000,
      app: 'com.example.mymylet',
      scope: ['mylet'],
      user: profile,
      algorithm: 'sha256',
      // Only the attributes the app names, and only those the profile has.
      ext: { dbs: '2e2ed05a-4f63-4850-9297-5b8384397dd0' },
    });
    expect(res.body.key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(res.body.grant).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(res.body.id).toMatch(/^Fe26\.2\*\w+\*/); // sealed under the current keyring key, by its id
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    // hawk's client accepts the Server-Authorization, body hash included.
    verifyServerAuthorization('/v1/ticket', appCredentials(app), authorization, res);
    // The grant the store holds.
    const grant = await t.store.grants.get(res.body.grant as string, t.clock.now());
    expect(grant).toMatchObject({ app: app.id, user: profile, scope: ['mylet'], exp: T0 + 30 * 86400_000 });
    expect(grant?.session?.equals(loginIdHash(session))).toBe(true);
  });

  it('slides the session, as a profile request does', async () => {
    const profile = await createProfileId(t);
    const session = await login(t, profile);
    t.clock.advance(600_000);
    try {
      expect((await post(t, '/v1/ticket', appCredentials(app), { session })).status).toBe(200);
      const record = await t.store.sessions.get('login', loginIdHash(session), t.clock.now());
      expect(record?.expiresAt).toBe(t.clock.now() + 900_000);
    } finally {
      t.clock.set(T0);
    }
  });

  it('exchanging one session again reuses its live grant; each ticket has a fresh key', async () => {
    const { ticket: one, session } = await userTicket(t, app);
    const two = (await post(t, '/v1/ticket', appCredentials(app), { session })).body;
    expect(two.grant).toBe(one.grant);
    expect(two.key).not.toBe(one.key);
    await t.store.grants.delete(one.grant as string);
    const three = (await post(t, '/v1/ticket', appCredentials(app), { session })).body;
    expect(three.grant).not.toBe(one.grant);
  });

  it('accepts a payload hash made by hawk’s client; refuses a body that does not match it', async () => {
    const session = await login(t, await createProfileId(t));
    expect((await post(t, '/v1/ticket', appCredentials(app), { session }, { hash: true })).status).toBe(200);
    const body = JSON.stringify({ session });
    const authorization = hawkHeader(t, '/v1/ticket', appCredentials(app), body, { hash: true });
    const swapped = await post(t, '/v1/ticket', null, JSON.stringify({ session: 'x' }), { authorization });
    expectBoom(swapped, 401, 'Bad payload hash');
    // The content type is part of the hash.
    const text = await post(t, '/v1/ticket', null, body, { authorization, contentType: 'text/plain' });
    expectBoom(text, 401, 'Bad payload hash');
  });

  it('Invalid session: unknown, invalidated, expired, too long, disabled profile, another tenant', async () => {
    const cases: string[] = ['00000000-0000-4000-8000-000000000000', 'x'.repeat(300)];
    const invalidated = await login(t, await createProfileId(t));
    await t.identity.logins.invalidateTicket(SYSTEM_ACTOR, invalidated);
    cases.push(invalidated);
    const disabledProfile = await createProfileId(t);
    const disabled = await login(t, disabledProfile);
    await t.identity.profiles.update(SYSTEM_ACTOR, disabledProfile, { enabled: false });
    cases.push(disabled);
    await t.tenants.put('other', {});
    cases.push(await login(t, await createProfileId(t, { tenant: 'other' })));
    for (const session of cases) {
      expectBoom(await post(t, '/v1/ticket', appCredentials(app), { session }), 401, 'Invalid session');
    }
    const expiring = await login(t, await createProfileId(t));
    t.clock.advance(900_000);
    try {
      expectBoom(await post(t, '/v1/ticket', appCredentials(app), { session: expiring }), 401, 'Invalid session');
    } finally {
      t.clock.set(T0);
    }
  });

  it('bad bodies: 400 with a clear message, after the signature is checked', async () => {
    const creds = appCredentials(app);
    expectBoom(await post(t, '/v1/ticket', creds), 400, 'Missing required payload');
    expectBoom(await post(t, '/v1/ticket', creds, 'null'), 400, 'Missing required payload');
    expectBoom(await post(t, '/v1/ticket', creds, '{"session":'), 400, 'Invalid request payload JSON format');
    expectBoom(
      await post(t, '/v1/ticket', creds, '[1]'),
      400,
      'Invalid request payload: the payload must be an object',
    );
    expectBoom(await post(t, '/v1/ticket', creds, {}), 400, 'Invalid request payload: "session" is required');
    expectBoom(
      await post(t, '/v1/ticket', creds, { session: 7 }),
      400,
      'Invalid request payload: "session" expected string',
    );
    expectBoom(
      await post(t, '/v1/ticket', creds, `${'['.repeat(100)}${']'.repeat(100)}`),
      400,
      'Invalid request payload JSON format',
    );
    // Unsigned: the signature first.
    expectBoom(await post(t, '/v1/ticket', null, '{"session":'), 401, 'Missing authentication');
  });

  it('Hawk failures, each with its message', async () => {
    const session = await login(t, await createProfileId(t));
    const creds = appCredentials(app);
    expectBoom(
      await post(t, '/v1/ticket', { ...creds, id: 'com.example.nobody' }, { session }),
      401,
      'Unknown credentials',
    );
    expectBoom(await post(t, '/v1/ticket', { ...creds, key: 'w'.repeat(40) }, { session }), 401, 'Bad mac');
    expectBoom(await post(t, '/v1/ticket', creds, { session }, { host: 'evil.example' }), 401, 'Bad mac');
    expectBoom(await post(t, '/v1/ticket', creds, { session }, { port: 443 }), 401, 'Bad mac');
    expectBoom(
      await post(t, '/v1/ticket', null, { session }, { authorization: 'Bearer abc' }),
      401,
      'Missing authentication',
    );
    const garbage = await post(t, '/v1/ticket', null, { session }, { authorization: 'Hawk garbage' });
    expectBoom(garbage, 400, 'Bad header format');
    const long = await post(t, '/v1/ticket', null, { session }, { authorization: `Hawk id="${'a'.repeat(5000)}"` });
    expectBoom(long, 400, 'Header length too long');

    const body = JSON.stringify({ session });
    const authorization = hawkHeader(t, '/v1/ticket', creds, body);
    expect((await post(t, '/v1/ticket', null, body, { authorization })).status).toBe(200);
    expectBoom(await post(t, '/v1/ticket', null, body, { authorization }), 401, 'Invalid nonce');

    // A user ticket is not an app's credentials.
    const { ticket } = await userTicket(t, app);
    expectBoom(await post(t, '/v1/ticket', ticketCredentials(ticket), { session }), 401, 'Unknown credentials');
  });

  it('a stale timestamp: 401 with ts and a tsm hawk’s client accepts', async () => {
    const session = await login(t, await createProfileId(t));
    const res = await post(t, '/v1/ticket', appCredentials(app), { session }, { skewSec: -61 });
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('Stale timestamp');
    const www = res.headers['www-authenticate'] as string;
    expect(www).toMatch(new RegExp(`^Hawk ts="${Math.floor(T0 / 1000)}", tsm="[^"]+", error="Stale timestamp"$`));
    const { artifacts } = hawk.client.header('http://ticketd.test:5200/v1/ticket', 'POST', {
      credentials: appCredentials(app),
    });
    expect(() =>
      hawk.client.authenticate({ headers: { 'www-authenticate': www } }, appCredentials(app), artifacts),
    ).not.toThrow();
    expect((await post(t, '/v1/ticket', appCredentials(app), { session }, { skewSec: 59 })).status).toBe(200);
  });
});

describe('logs', () => {
  it('never hold a session, an app key, a ticket id or key, an rsvp, or an Authorization value', async () => {
    const { ticket, session } = await userTicket(t, app);
    const body = JSON.stringify({ session });
    const authorization = hawkHeader(t, '/v1/ticket', appCredentials(app), body);
    await post(t, '/v1/ticket', null, body, { authorization });
    await post(t, '/v1/ticket/reissue', ticketCredentials(ticket));
    await post(t, '/v1/ticket/reissue', { ...ticketCredentials(ticket), key: 'x'.repeat(32) });
    const rsvp = (await post(t, '/v1/rsvp', null, { session, app: app.id })).body.rsvp as string;
    const logs = t.logs();
    expect(logs).toContain('"route":"/v1/ticket"');
    const mac = /mac="([^"]+)"/.exec(authorization)?.[1] as string;
    for (const secret of [session, app.key, ticket.id as string, ticket.key as string, rsvp, mac]) {
      expect(logs.includes(secret), secret.slice(0, 12)).toBe(false);
    }
  });
});

describe('POST /v1/ticket settings', () => {
  it('a ticket never outlives its grant; payload hashes may be required; host and port from config', async () => {
    const s = await startTestTicketd({
      config: { oz: { grant_ttl: 100, require_payload_hash: true, host: 'api.example.com', port: 443 } },
    });
    try {
      const a = await createApp(s);
      const session = await login(s, await createProfileId(s));
      const signed = { host: 'api.example.com', port: 443 };
      expectBoom(
        await post(s, '/v1/ticket', appCredentials(a), { session }, signed),
        401,
        'Missing required payload hash',
      );
      // Signed for the Host header rather than the configured host: refused.
      expectBoom(await post(s, '/v1/ticket', appCredentials(a), { session }, { hash: true }), 401, 'Bad mac');
      const res = await post(s, '/v1/ticket', appCredentials(a), { session }, { ...signed, hash: true });
      expect(res.status).toBe(200);
      expect(res.body.exp).toBe(T0 + 100_000);
    } finally {
      await s.stop();
    }
  });

  it('behind a trusted proxy, the forwarded host and port', async () => {
    const s = await startTestTicketd({ config: { oz: { trust_proxy: true } } });
    try {
      const a = await createApp(s);
      const session = await login(s, await createProfileId(s));
      const forwarded = { 'x-forwarded-host': 'api.example.com', 'x-forwarded-proto': 'https' };
      const ok = await post(
        s,
        '/v1/ticket',
        appCredentials(a),
        { session },
        {
          host: 'api.example.com',
          port: 443,
          headers: forwarded,
        },
      );
      expect(ok.status).toBe(200);
      const notForwarded = await post(s, '/v1/ticket', appCredentials(a), { session }, { headers: forwarded });
      expectBoom(notForwarded, 401, 'Bad mac');
    } finally {
      await s.stop();
    }
  });
});
