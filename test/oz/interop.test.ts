import { createRequire } from 'node:module';
import Oz from 'oz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/core/access-tokens.js';
import { ManualClock } from '../../src/core/clock.js';
import type { OzAppRecord } from '../../src/store/types.js';
import { createApp, createProfileId, login, startTestTicketd, type TestTicketd } from './support.js';

/**
 * The `oz` package's own client (Oz.client.Connection, 5.0.3, with its own
 * hawk 7) against a real ticketd listening on a loopback port: app ticket →
 * rsvp → user ticket → reissue, and its automatic reissue of an expired
 * ticket. It checks every answer's Server-Authorization (and WWW-Authenticate)
 * with its hawk, which throws on a bad one.
 */

// The oz client signs with its own copy of hawk (7); its timestamps come from utils.now.
const ozHawk = createRequire(import.meta.url)('oz/node_modules/hawk') as {
  utils: { now: (offsetMs?: number) => number };
};
const hawkNow = ozHawk.utils.now;

let t: TestTicketd;
let uri: string;
let app: OzAppRecord;
const clock = new ManualClock(Date.now());

beforeAll(async () => {
  t = await startTestTicketd({ clock });
  await t.server.listen({ host: '127.0.0.1', port: 0 });
  const address = t.server.server.address() as { port: number };
  uri = `http://127.0.0.1:${address.port}`;
  ozHawk.utils.now = (offsetMs = 0) => clock.now() + offsetMs;
  app = await createApp(t, { id: 'com.example.mymylet', scope: ['mylet'], delegate: true });
});
afterAll(async () => {
  ozHawk.utils.now = hawkNow;
  await t.stop();
});

/** The consent step, as a login page calls it. */
async function rsvp(session: string): Promise<string> {
  const res = await fetch(`${uri}/v1/rsvp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session, app: app.id }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { rsvp: string }).rsvp;
}

describe('the oz package’s client against ticketd', () => {
  it('app ticket → rsvp → user ticket → reissue → the mylet reissue path', async () => {
    const profile = await createProfileId(t);
    const session = await login(t, profile);
    const connection = new Oz.client.Connection({
      uri,
      credentials: { id: app.id, key: app.key, algorithm: 'sha256' },
    });

    const { code, result: userTicket } = await connection.app('/oz/rsvp', {
      method: 'POST',
      payload: { rsvp: await rsvp(session) },
    });
    expect(code).toBe(200);
    expect(userTicket).toMatchObject({ app: app.id, user: profile, scope: ['mylet'] });

    const reissued = await connection.reissue(userTicket as never);
    expect(reissued).toMatchObject({ app: app.id, user: profile, grant: userTicket.grant });
    expect(reissued.key).not.toBe(userTicket.key);

    const viaMylet = await connection.request('/v1/ticket/reissue', reissued, { method: 'POST' });
    expect(viaMylet.code).toBe(200);
    expect(viaMylet.result).toMatchObject({ grant: userTicket.grant });
  });

  it('reissues an expired app ticket by itself, and reports a refused reissue', async () => {
    const session = await login(t, await createProfileId(t));
    const connection = new Oz.client.Connection({
      uri,
      credentials: { id: app.id, key: app.key, algorithm: 'sha256' },
    });
    const first = await connection.app('/oz/rsvp', { method: 'POST', payload: { rsvp: await rsvp(session) } });
    expect(first.code).toBe(200);

    // An hour later the app ticket has expired: /oz/rsvp answers 401 expired, the client reissues it and retries.
    clock.advance(3600_000 + 1000);
    const session2 = await login(t, await createProfileId(t));
    const second = await connection.app('/oz/rsvp', { method: 'POST', payload: { rsvp: await rsvp(session2) } });
    expect(second.code).toBe(200);
    expect(second.ticket.exp).toBeGreaterThan(clock.now());

    // A user ticket whose session has ended: the reissue is refused (the client throws the message).
    await t.identity.logins.invalidateTicket(SYSTEM_ACTOR, session2);
    await expect(connection.reissue(second.result as never)).rejects.toThrow('Invalid grant');
  });
});
