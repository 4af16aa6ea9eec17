import { createServer, type Server } from 'node:http';
import hawk from 'hawk';
import Oz from 'oz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { OzAuthError, OzResource } from '../../src/index.js';
import type { OzAppRecord } from '../../src/store/types.js';
import { createApp, startTestTicketd, T0, type TestTicketd, userTicket } from './support.js';

const PASSWORD = 'a-resource-server-shares-this-iron-password';

let t: TestTicketd;
let app: OzAppRecord;

beforeAll(async () => {
  t = await startTestTicketd({ config: { oz: { iron_password: PASSWORD } } });
  app = await createApp(t);
});
afterAll(async () => {
  await t.stop();
});

function signed(ticket: Record<string, unknown>, url: string, options: { payload?: string; at?: number } = {}) {
  return hawk.client.header(url, options.payload === undefined ? 'GET' : 'POST', {
    credentials: { id: ticket.id as string, key: ticket.key as string, algorithm: 'sha256' },
    app: ticket.app as string,
    timestamp: Math.floor((options.at ?? t.clock.now()) / 1000),
    ...(options.payload !== undefined ? { payload: options.payload, contentType: 'application/json' } : {}),
  });
}

const request = (authorization: string, path = '/things', extra: Record<string, string> = {}) => ({
  method: 'GET',
  url: path,
  headers: { host: 'api.example.com', authorization, ...extra },
});

async function refusal(p: Promise<unknown>): Promise<OzAuthError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OzAuthError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('OzResource: local verification with the Iron password', () => {
  it('verifies a request signed with a user ticket, without asking ticketd', async () => {
    const { ticket, profile } = await userTicket(t, app);
    const oz = new OzResource({ password: PASSWORD, now: () => t.clock.now() });
    const { header, artifacts: clientArtifacts } = signed(ticket, 'http://api.example.com/things');
    const verified = await oz.authenticate(request(header));
    expect(verified.ticket).toEqual({ ...ticket, key: undefined, user: profile });
    expect(verified.artifacts).toMatchObject({ resource: '/things', host: 'api.example.com', port: 80 });
    // The response it signs, checked by hawk's client.
    const body = '{"ok":true}';
    const res = {
      headers: { 'server-authorization': verified.serverAuthorization(body), 'content-type': 'application/json' },
    };
    expect(() =>
      hawk.client.authenticate(
        res,
        { id: ticket.id as string, key: ticket.key as string, algorithm: 'sha256' },
        clientArtifacts,
        {
          payload: body,
          required: true,
        },
      ),
    ).not.toThrow();
  });

  it('refuses with the answer to send: replay, expiry, tampering, another password, wrong host', async () => {
    const { ticket } = await userTicket(t, app);
    const oz = new OzResource({ password: PASSWORD, now: () => t.clock.now() });
    const { header } = signed(ticket, 'http://api.example.com/things');
    await oz.authenticate(request(header));
    const replay = await refusal(oz.authenticate(request(header)));
    expect([replay.status, replay.body.message, replay.headers['WWW-Authenticate']]).toEqual([
      401,
      'Invalid nonce',
      'Hawk error="Invalid nonce"',
    ]);

    const later = new OzResource({ password: PASSWORD, now: () => T0 + 3600_000 });
    const expired = await refusal(
      later.authenticate(request(signed(ticket, 'http://api.example.com/x', { at: T0 + 3600_000 }).header, '/x')),
    );
    expect(expired.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Expired ticket', expired: true });

    const foreign = new OzResource({ password: 'x'.repeat(32), now: () => t.clock.now() });
    const bad = await refusal(foreign.authenticate(request(signed(ticket, 'http://api.example.com/things').header)));
    expect(bad.body.message).toBe('Bad ticket');

    const wrongHost = await refusal(
      oz.authenticate({
        ...request(signed(ticket, 'http://api.example.com/things').header),
        headers: { host: 'evil.example', authorization: signed(ticket, 'http://api.example.com/things').header },
      }),
    );
    expect(wrongHost.body.message).toBe('Bad mac');
    const configured = new OzResource({
      password: PASSWORD,
      host: 'api.example.com',
      port: 80,
      now: () => t.clock.now(),
    });
    const ok = signed(ticket, 'http://api.example.com/things').header;
    await configured.authenticate({
      method: 'GET',
      url: '/things',
      headers: { host: 'internal:8080', authorization: ok },
    });
  });

  it('checks the payload hash when the header has one', async () => {
    const { ticket } = await userTicket(t, app);
    const oz = new OzResource({ password: PASSWORD, now: () => t.clock.now() });
    const { header } = signed(ticket, 'http://api.example.com/things', { payload: '{"a":1}' });
    const req = {
      method: 'POST',
      url: '/things',
      headers: { host: 'api.example.com', authorization: header, 'content-type': 'application/json' },
    };
    expect((await refusal(oz.authenticate(req, '{"a":2}'))).body.message).toBe('Bad payload hash');
    const again = signed(ticket, 'http://api.example.com/things', { payload: '{"a":1}' }).header;
    await oz.authenticate({ ...req, headers: { ...req.headers, authorization: again } }, Buffer.from('{"a":1}'));
  });

  it('a map of passwords, as oz.iron_passwords; short passwords are refused', async () => {
    const { ticket } = await userTicket(t, app);
    const oz = new OzResource({ password: { default: PASSWORD, k2: 'y'.repeat(32) }, now: () => t.clock.now() });
    await oz.authenticate(request(signed(ticket, 'http://api.example.com/things').header));
    expect(() => new OzResource({ password: 'short' })).toThrow(/at least 32/);
  });

  it('on a real node:http server, with real time', async () => {
    const live = await startTestTicketd({
      config: { oz: { iron_password: PASSWORD } },
      clock: new ManualClock(Date.now()),
    });
    let server: Server | undefined;
    try {
      const a = await createApp(live);
      const { ticket } = await userTicket(live, a);
      const oz = new OzResource({ password: PASSWORD });
      server = createServer(async (req, res) => {
        try {
          const { ticket: who, serverAuthorization } = await oz.authenticate(req);
          const body = JSON.stringify({ user: who.user, ext: who.ext });
          res.writeHead(200, { 'content-type': 'application/json', 'server-authorization': serverAuthorization(body) });
          res.end(body);
        } catch (err) {
          const e = err as OzAuthError;
          res.writeHead(e.status, e.headers).end(JSON.stringify(e.body));
        }
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      const url = `http://127.0.0.1:${port}/me`;
      const { header } = hawk.client.header(url, 'GET', {
        credentials: { id: ticket.id as string, key: ticket.key as string, algorithm: 'sha256' },
        app: ticket.app as string,
      });
      const res = await fetch(url, { headers: { authorization: header } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ user: ticket.user, ext: ticket.ext });
      expect(res.headers.get('server-authorization')).toMatch(/^Hawk mac="/);
      const again = await fetch(url, { headers: { authorization: header } });
      expect(again.status).toBe(401);
    } finally {
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
      await live.stop();
    }
  });
});

describe('the oz package’s server verifies ticketd’s tickets with the Iron password, as Oz does', () => {
  it('Oz.server.authenticate', async () => {
    const live = await startTestTicketd({
      config: { oz: { iron_password: PASSWORD } },
      clock: new ManualClock(Date.now()),
    });
    try {
      const { ticket } = await userTicket(live, await createApp(live));
      const { header } = hawk.client.header('http://api.example.com/things', 'GET', {
        credentials: { id: ticket.id as string, key: ticket.key as string, algorithm: 'sha256' },
        app: ticket.app as string,
      });
      const req = { method: 'GET', url: '/things', host: 'api.example.com', port: 80, authorization: header };
      const result = await Oz.server.authenticate(req, PASSWORD);
      expect(result.ticket).toMatchObject({ app: ticket.app, user: ticket.user, grant: ticket.grant, key: ticket.key });
    } finally {
      await live.stop();
    }
  });
});
