import hawk from 'hawk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/core/access-tokens.js';
import type { OzAppRecord } from '../../src/store/types.js';
import {
  appCredentials,
  createApp,
  type OzReply,
  post,
  startTestTicketd,
  T0,
  type TestTicketd,
  tamper,
  ticketCredentials,
  userTicket,
} from './support.js';

let t: TestTicketd;
let app: OzAppRecord;

beforeAll(async () => {
  t = await startTestTicketd();
  app = await createApp(t, { scope: ['read'] });
});
afterAll(async () => {
  await t.stop();
});

/** What a resource server at https://api.example.com received: a request signed with `ticket` by hawk's client. */
function received(
  ticket: Record<string, unknown>,
  options: { payload?: string; hash?: boolean; skewSec?: number; nonce?: string } = {},
) {
  const url = '/resource/4?a=1&b=2';
  const { header } = hawk.client.header(`https://api.example.com${url}`, 'POST', {
    credentials: { id: ticket.id as string, key: ticket.key as string, algorithm: 'sha256' },
    app: ticket.app as string,
    ...(typeof ticket.dlg === 'string' ? { dlg: ticket.dlg } : {}),
    timestamp: Math.floor(t.clock.now() / 1000) + (options.skewSec ?? 0),
    ...(options.nonce ? { nonce: options.nonce } : {}),
    ...(options.hash ? { payload: options.payload ?? '', contentType: 'application/json' } : {}),
  });
  return {
    method: 'POST',
    url,
    host: 'api.example.com',
    port: 443,
    authorization: header,
    ...(options.payload !== undefined ? { payload: options.payload, contentType: 'application/json' } : {}),
  };
}

const authenticate = (body: unknown) => post(t, '/v1/ticket/authenticate', null, body);

function expectBoom(res: OzReply, status: number, message: string) {
  expect([res.status, res.body.statusCode, res.body.message]).toEqual([status, status, message]);
  if (status === 401) expect(res.headers['www-authenticate']).toBe(`Hawk error="${message}"`);
}

describe('POST /v1/ticket/authenticate', () => {
  it('200: the ticket without its key, and Hawk’s artifacts', async () => {
    const { ticket, profile } = await userTicket(t, app);
    const res = await authenticate(received(ticket, { payload: '{"x":1}', hash: true }));
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['ticket', 'artifacts']);
    const info = res.body.ticket as Record<string, unknown>;
    expect(Object.keys(info)).toEqual(['exp', 'app', 'scope', 'grant', 'user', 'algorithm', 'ext', 'id']);
    expect(info).toEqual({ ...ticket, key: undefined, user: profile });
    expect(JSON.stringify(res.body)).not.toContain(ticket.key as string);
    expect(res.body.artifacts).toMatchObject({
      method: 'POST',
      host: 'api.example.com',
      port: 443,
      resource: '/resource/4?a=1&b=2',
      app: app.id,
      id: ticket.id,
    });
    // No Hawk credentials of the caller: no Server-Authorization.
    expect(res.headers['server-authorization']).toBeUndefined();
  });

  it('port as a string; app tickets too', async () => {
    const { ticket } = await userTicket(t, app);
    expect((await authenticate({ ...received(ticket), port: '443' })).status).toBe(200);
    const appTicket = (await post(t, '/oz/app', appCredentials(app))).body;
    const res = await authenticate(received(appTicket));
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.ticket as object)).toEqual(['exp', 'app', 'scope', 'algorithm', 'ext', 'id']);
  });

  it('a request authenticates once: the nonce is recorded', async () => {
    const { ticket } = await userTicket(t, app);
    const request = received(ticket);
    expect((await authenticate(request)).status).toBe(200);
    expectBoom(await authenticate(request), 401, 'Invalid nonce');
  });

  it('the 401 to relay: expired (expired: true), stale (tsm made with the ticket’s key), bad mac, bad hash', async () => {
    const { ticket } = await userTicket(t, app);
    const stale = await authenticate(received(ticket, { skewSec: 120 }));
    expect(stale.status).toBe(401);
    const www = stale.headers['www-authenticate'] as string;
    expect(www).toMatch(/^Hawk ts="\d+", tsm="[^"]+", error="Stale timestamp"$/);
    const { artifacts } = hawk.client.header('https://api.example.com/', 'POST', {
      credentials: ticketCredentials(ticket) as { id: string; key: string; algorithm: string },
    });
    expect(() =>
      hawk.client.authenticate({ headers: { 'www-authenticate': www } }, ticketCredentials(ticket), artifacts),
    ).not.toThrow();

    expectBoom(await authenticate({ ...received(ticket), url: '/resource/5' }), 401, 'Bad mac');
    expectBoom(await authenticate({ ...received(ticket), host: 'other.example.com' }), 401, 'Bad mac');
    const hashed = received(ticket, { payload: '{"x":1}', hash: true });
    expectBoom(await authenticate({ ...hashed, payload: '{"x":2}' }), 401, 'Bad payload hash');

    t.clock.advance(3600_000);
    try {
      const expired = await authenticate(received(ticket));
      expect(expired.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'Expired ticket',
        expired: true,
      });
    } finally {
      t.clock.set(T0);
    }
  });

  it('the grant must be live: revoked, session ended, profile disabled; the app must exist', async () => {
    const revoked = await userTicket(t, app);
    await t.store.grants.delete(revoked.ticket.grant as string);
    expectBoom(await authenticate(received(revoked.ticket)), 401, 'Invalid grant');

    const loggedOut = await userTicket(t, app);
    await t.identity.logins.invalidateTicket(SYSTEM_ACTOR, loggedOut.session);
    expectBoom(await authenticate(received(loggedOut.ticket)), 401, 'Invalid grant');

    const disabled = await userTicket(t, app);
    await t.identity.profiles.update(SYSTEM_ACTOR, disabled.profile, { enabled: false });
    expectBoom(await authenticate(received(disabled.ticket)), 401, 'Invalid grant');

    const gone = await createApp(t);
    const orphan = await userTicket(t, gone);
    await t.store.apps.delete(gone.id);
    expectBoom(await authenticate(received(orphan.ticket)), 401, 'Invalid application');
  });

  it('tampered ticket ids: Bad ticket; malformed bodies: 400', async () => {
    const { ticket } = await userTicket(t, app);
    const tampered = { ...ticket, id: tamper(ticket.id as string) };
    expectBoom(await authenticate(received(tampered)), 401, 'Bad ticket');
    expectBoom(
      await authenticate({ ...received(ticket), port: 0 }),
      400,
      'Invalid request payload: "port" must be 1-65535',
    );
    expectBoom(await authenticate({ method: 'GET' }), 400, 'Invalid request payload: "url" is required');
    expectBoom(
      await authenticate({ ...received(ticket), authorization: `Hawk id="${'a'.repeat(5000)}"` }),
      400,
      'Header length too long',
    );
    expectBoom(await authenticate({ ...received(ticket), authorization: '' }), 401, 'Missing authentication');
  });
});
