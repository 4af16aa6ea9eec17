import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OzAppRecord } from '../../src/store/types.js';
import {
  appCredentials,
  createApp,
  hawkHeader,
  type OzReply,
  post,
  startTestTicketd,
  type TestTicketd,
  tamper,
  ticketCredentials,
  userTicket,
} from '../oz/support.js';

/**
 * docs/security.md: Hawk's refusals over HTTP, each with its own
 * message and a `WWW-Authenticate: Hawk error="..."` a Hawk client can read:
 * a replayed nonce, a stale timestamp, a wrong MAC, a wrong payload hash,
 * the wrong host or port, another app's id in the header, unknown
 * credentials, a tampered or expired ticket. Requests are signed by hawk's
 * own client (oz/support.ts). A correctly signed request passes first, so
 * each refusal is down to the one thing changed.
 */
describe('Hawk refusals, each with its own message', () => {
  let t: TestTicketd;
  let app: OzAppRecord;
  let other: OzAppRecord;
  let ticket: Record<string, unknown>;

  beforeAll(async () => {
    t = await startTestTicketd();
    app = await createApp(t);
    other = await createApp(t);
    ticket = (await userTicket(t, app)).ticket;
  });
  afterAll(async () => {
    await t.stop();
  });

  const REISSUE = '/v1/ticket/reissue';
  const expect401 = (res: OzReply, message: string) => {
    expect([res.status, res.body.message], res.text).toEqual([401, message]);
    expect(String(res.headers['www-authenticate'])).toMatch(new RegExp(`^Hawk .*error="${message}"`));
  };

  it('a correctly signed request passes', async () => {
    expect((await post(t, REISSUE, ticketCredentials(ticket), {}, { hash: true })).status).toBe(200);
  });

  it('a replayed nonce: Invalid nonce', async () => {
    const authorization = hawkHeader(t, REISSUE, ticketCredentials(ticket), '{}');
    expect((await post(t, REISSUE, null, {}, { authorization })).status).toBe(200);
    expect401(await post(t, REISSUE, null, {}, { authorization }), 'Invalid nonce');
  });

  it('a timestamp more than 60 s off: Stale timestamp, with the server time for the client', async () => {
    const res = await post(t, REISSUE, ticketCredentials(ticket), {}, { skewSec: -61 });
    expect401(res, 'Stale timestamp');
    expect(String(res.headers['www-authenticate'])).toMatch(/ts="\d+", tsm="[^"]+"/);
  });

  it('a MAC made with another key: Bad mac', async () => {
    expect401(
      await post(t, REISSUE, { ...ticketCredentials(ticket), key: tamper(ticket.key as string) }, {}),
      'Bad mac',
    );
  });

  it('a payload hash of another body: Bad payload hash', async () => {
    const authorization = hawkHeader(t, REISSUE, ticketCredentials(ticket), '{"scope":[]}', { hash: true });
    expect401(await post(t, REISSUE, null, {}, { authorization }), 'Bad payload hash');
  });

  it('signed for another host or port: Bad mac', async () => {
    expect401(await post(t, REISSUE, ticketCredentials(ticket), {}, { host: 'evil.example' }), 'Bad mac');
    expect401(await post(t, REISSUE, ticketCredentials(ticket), {}, { port: 5201 }), 'Bad mac');
  });

  it("another app's id in the header: Mismatching application id", async () => {
    expect401(await post(t, REISSUE, ticketCredentials(ticket), {}, { app: other.id }), 'Mismatching application id');
  });

  it('an app id nobody knows: Unknown credentials', async () => {
    const unknown = { ...appCredentials(app), id: 'com.example.nobody' };
    expect401(await post(t, '/oz/app', unknown, {}), 'Unknown credentials');
  });

  it('a tampered ticket: Bad ticket; an expired one: Expired ticket', async () => {
    expect401(
      await post(t, REISSUE, { ...ticketCredentials(ticket), id: tamper(ticket.id as string, 40) }, {}),
      'Bad ticket',
    );
    const expiring = (await userTicket(t, app)).ticket;
    t.clock.advance(Number(expiring.exp) - t.clock.now() + 1);
    const authenticate = await post(t, '/v1/ticket/authenticate', null, {
      method: 'GET',
      url: '/r',
      host: 'api.example.com',
      port: 443,
      authorization: hawkHeader(t, '/r', ticketCredentials(expiring), undefined, {
        host: 'api.example.com',
        port: 443,
      }),
    });
    expect401(authenticate, 'Expired ticket');
  });
});
