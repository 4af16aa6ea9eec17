import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/store/types.js';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import { createTicket, expectCommonHeaders, expectError, post, useTicket } from './client.js';

describe('unknown routes: 404 102001', () => {
  let t: TestTicketd;
  beforeAll(async () => {
    t = await startTestTicketd();
  });
  afterAll(async () => {
    await t.stop();
  });

  it.each([
    ['GET', '/'],
    ['GET', '/nope'],
    ['POST', '/v1/nope'],
    ['POST', '/v1/totps'],
    ['POST', '/v1/totps/uses'],
    ['POST', '/v1/tickets/uses'],
    ['POST', '/v1/tickets/use/extra'],
    ['GET', '/v1/tickets'],
    ['GET', '/v1/tickets/use'],
    ['PUT', '/v1/tickets'],
    ['DELETE', '/v1/tickets/delete'],
    ['PATCH', '/v1/tickets/peek'],
    ['POST', '/v1/ping'],
  ] as const)('%s %s', async (method, url) => {
    const res = await t.server.inject({ method, url, payload: method === 'GET' ? undefined : '{}' });
    expectCommonHeaders(res);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 102001, error: 'not found' });
  });

  it.each(['/v1/tickets/%zz', '/v1/tickets%', '/%E0%A4%A', '/v1/ping/%'])(
    'a URL that does not decode (%s) names no route either',
    async (url) => {
      const res = await t.server.inject({ method: 'POST', url, payload: '{}' });
      expectCommonHeaders(res);
      expectError(res, 404, 102001);
    },
  );

  it('the query string does not change the route', async () => {
    const ticket = await createTicket(t, { uses: 2 });
    const res = await post(t, '/v1/tickets/use?ticket=x&project=y', { ticket });
    expect(res.json()).toEqual({ uses: 1, payload: null });
  });
});

describe('store failures', () => {
  let t: TestTicketd;
  afterEach(async () => {
    await t.stop();
  });

  it('GET /v1/ping answers 500 {"ok": false} when the store does not answer', async () => {
    t = await startTestTicketd();
    Object.assign(t.store, {
      ping: async () => {
        throw new StoreUnavailableError('sqlite: SQLITE_BUSY');
      },
    });
    const res = await t.server.inject({ method: 'GET', url: '/v1/ping' });
    expectCommonHeaders(res);
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ ok: false });
  });

  it('an unreachable store answers 503 2006 on the ticket routes, without an error id', async () => {
    t = await startTestTicketd();
    const ticket = await createTicket(t);
    const unavailable = async () => {
      throw new StoreUnavailableError('sqlite: SQLITE_BUSY');
    };
    Object.assign(t.store.tickets, {
      create: unavailable,
      use: unavailable,
      delete: unavailable,
      peek: unavailable,
    });
    for (const [url, body] of [
      ['/v1/tickets', {}],
      ['/v1/tickets/use', { ticket }],
      ['/v1/tickets/delete', { ticket }],
      ['/v1/tickets/peek', { ticket }],
    ] as const) {
      const res = await post(t, url, body);
      expect(res.json(), url).toEqual({ code: 2006, error: 'store unavailable' });
      expect(res.statusCode).toBe(503);
    }
  });

  it('after the store answers again, so does ticketd', async () => {
    t = await startTestTicketd();
    const ticket = await createTicket(t, { uses: 2 });
    const real = t.store.tickets.use.bind(t.store.tickets);
    Object.assign(t.store.tickets, {
      use: async () => {
        throw new StoreUnavailableError('sqlite: SQLITE_BUSY');
      },
    });
    expect((await useTicket(t, ticket)).statusCode).toBe(503);
    Object.assign(t.store.tickets, { use: real });
    expect((await useTicket(t, ticket)).json()).toEqual({ uses: 1, payload: null });
  });
});
