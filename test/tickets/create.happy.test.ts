import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import { createTicket, peekTicket, post, TICKET_FORMAT, useTicket } from './client.js';

// One instance serves the tests that need no clean state (payload round
// trips, content types); `freshEach` gives each test of a describe its own
// instance where the clock or the ticket count matters.
let t: TestTicketd;
let sharedOne: TestTicketd;
beforeAll(async () => {
  sharedOne = await startTestTicketd();
});
afterAll(async () => {
  await sharedOne.stop();
});
beforeEach(() => {
  t = sharedOne;
});
function freshEach(): void {
  beforeEach(async () => {
    t = await startTestTicketd();
  });
  afterEach(async () => {
    await t.stop();
  });
}

const CREATED = '2026-01-01T00:00:00.000Z';

/** Creates with a raw body and returns the `use` answer's raw text. */
async function roundTrip(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await post(t, '/v1/tickets', body, { headers });
  expect(res.statusCode, res.body).toBe(200);
  const used = await useTicket(t, (res.json() as { ticket: string }).ticket);
  expect(used.statusCode, used.body).toBe(200);
  return used.body;
}

describe('POST /v1/tickets', () => {
  it('answers 200 {"ticket"} with a 27-character standard Base64 ticket', async () => {
    const res = await post(t, '/v1/tickets', {});
    expect(res.statusCode).toBe(200);
    const body = res.json() as { ticket: string };
    expect(Object.keys(body)).toEqual(['ticket']);
    expect(body.ticket).toHaveLength(27);
    expect(body.ticket).toMatch(TICKET_FORMAT);
  });

  it('draws a different ticket every time', async () => {
    const tickets = new Set<string>();
    for (let i = 0; i < 200; i++) tickets.add(await createTicket(t));
    expect(tickets.size).toBe(200);
    for (const ticket of tickets) expect(ticket).toMatch(TICKET_FORMAT);
  });

  describe('defaults', () => {
    freshEach();

    it('ttl 60 s and one use', async () => {
      const ticket = await createTicket(t, {});
      expect((await peekTicket(t, ticket)).json()).toEqual({
        uses: 1,
        expires: '2026-01-01T00:01:00.000Z',
        created: CREATED,
      });
    });

    it('one use: the first use leaves 0, the second is refused', async () => {
      const ticket = await createTicket(t, {});
      expect((await useTicket(t, ticket)).json()).toEqual({ uses: 0, payload: null });
      expect((await useTicket(t, ticket)).statusCode).toBe(404);
    });

    it('ttl 60: alive at 59.999 s, gone at 60 s', async () => {
      const ticket = await createTicket(t, { uses: 0 });
      t.clock.advance(59_999);
      expect((await useTicket(t, ticket)).statusCode).toBe(200);
      t.clock.advance(1);
      expect((await useTicket(t, ticket)).statusCode).toBe(404);
    });

    it('an empty body (no bytes at all) means all defaults', async () => {
      for (const headers of [{}, { 'content-type': 'application/json' }] as Record<string, string>[]) {
        const res = await post(t, '/v1/tickets', '', { headers });
        expect(res.statusCode, res.body).toBe(200);
        const ticket = (res.json() as { ticket: string }).ticket;
        expect((await peekTicket(t, ticket)).json()).toEqual({
          uses: 1,
          expires: '2026-01-01T00:01:00.000Z',
          created: CREATED,
        });
      }
    });

    it('a request without any body means all defaults', async () => {
      const res = await post(t, '/v1/tickets');
      expect(res.statusCode, res.body).toBe(200);
      const ticket = (res.json() as { ticket: string }).ticket;
      expect((await peekTicket(t, ticket)).json()).toMatchObject({ uses: 1, expires: '2026-01-01T00:01:00.000Z' });
    });

    it('a JSON null body means all defaults', async () => {
      const res = await post(t, '/v1/tickets', 'null', { headers: { 'content-type': 'application/json' } });
      expect(res.statusCode, res.body).toBe(200);
    });
  });

  describe('ttl', () => {
    freshEach();

    it('sets the expiry in seconds', async () => {
      const ticket = await createTicket(t, { ttl: 50, uses: 0 });
      expect((await peekTicket(t, ticket)).json()).toMatchObject({ expires: '2026-01-01T00:00:50.000Z' });
      t.clock.advance(49_999);
      expect((await useTicket(t, ticket)).statusCode).toBe(200);
      t.clock.advance(1);
      expect((await useTicket(t, ticket)).statusCode).toBe(404);
    });

    it.each([0, null])('%s: never expires', async (ttl) => {
      const ticket = await createTicket(t, { ttl, uses: 0 });
      expect((await peekTicket(t, ticket)).json()).toMatchObject({ expires: null });
      t.clock.advance(10 * 365 * 24 * 3600 * 1000);
      expect((await useTicket(t, ticket)).statusCode).toBe(200);
    });

    it('accepts the largest ttl', async () => {
      const ticket = await createTicket(t, { ttl: 2_147_483_647 });
      expect((await peekTicket(t, ticket)).json()).toMatchObject({
        expires: new Date(Date.UTC(2026, 0, 1) + 2_147_483_647_000).toISOString(),
      });
    });
  });

  describe('uses', () => {
    freshEach();

    it('sets how many uses the ticket has', async () => {
      const ticket = await createTicket(t, { uses: 3 });
      expect((await peekTicket(t, ticket)).json()).toMatchObject({ uses: 3 });
    });

    it.each([0, null])('%s: unlimited', async (uses) => {
      const ticket = await createTicket(t, { uses });
      expect((await peekTicket(t, ticket)).json()).toMatchObject({ uses: null });
      for (let i = 0; i < 5; i++) expect((await useTicket(t, ticket)).json()).toEqual({ uses: null, payload: null });
    });
  });

  describe('payload: any JSON, returned exactly as sent', () => {
    it.each([
      ['an object', '{"user_id":9001,"roles":["a","b"],"nested":{"x":null}}'],
      ['an array', '[1,"two",{"three":3},[],null,true]'],
      ['a string', '"hello, world"'],
      ['an empty string', '""'],
      ['a number', '42'],
      ['a negative fraction', '-0.5'],
      ['an exponent', '1e400'],
      ['a big integer', '12345678901234567890'],
      ['1.0', '1.0'],
      ['true', 'true'],
      ['false', 'false'],
      ['an empty object', '{}'],
      ['escapes and non-ASCII', '"tab\\t quote\\" \\u00e9 é 漢字 🎫"'],
    ])('%s', async (_name, payload) => {
      const used = await roundTrip(`{"payload":${payload}}`);
      expect(used).toBe(`{"uses":0,"payload":${payload}}`);
    });

    it('big integers and 1.0 stay byte-exact inside objects and arrays', async () => {
      const payload = '{"id":12345678901234567890,"f":1.0,"list":[9007199254740993,2.50]}';
      expect(await roundTrip(`{"uses":2,"payload":${payload}}`)).toBe(`{"uses":1,"payload":${payload}}`);
    });

    it('insignificant white space is dropped, white space inside strings kept', async () => {
      const used = await roundTrip('{ "payload" : { "a b" : [ 1 , 2 ] ,\n\t"c" : " x  y " } , "uses" : 1 }');
      expect(used).toBe('{"uses":0,"payload":{"a b":[1,2],"c":" x  y "}}');
    });

    it('a payload that is not the last field', async () => {
      const used = await roundTrip('{"payload":{"user_id":9001},"uses":2,"ttl":50}');
      expect(used).toBe('{"uses":1,"payload":{"user_id":9001}}');
    });

    it('null or absent: use returns payload null', async () => {
      expect(await roundTrip('{"payload":null}')).toBe('{"uses":0,"payload":null}');
      expect(await roundTrip('{}')).toBe('{"uses":0,"payload":null}');
    });

    it('every use returns the payload', async () => {
      const ticket = await createTicket(t, { uses: 3, payload: { user_id: 9001 } });
      for (const uses of [2, 1, 0]) {
        expect((await useTicket(t, ticket)).json()).toEqual({ uses, payload: { user_id: 9001 } });
      }
    });

    it('of duplicate "payload" keys the last one counts, as JSON.parse decides', async () => {
      expect(await roundTrip('{"payload":1,"payload":{"b":2}}')).toBe('{"uses":0,"payload":{"b":2}}');
    });

    it('an escaped "payload" key is still the payload', async () => {
      expect(await roundTrip('{"pay\\u006coad":[1.0]}')).toBe('{"uses":0,"payload":[1.0]}');
    });

    it('a nested "payload" key is part of the payload, not the payload', async () => {
      expect(await roundTrip('{"other":{"payload":1},"payload":2}')).toBe('{"uses":0,"payload":2}');
      expect(await roundTrip('{"other":{"payload":1}}')).toBe('{"uses":0,"payload":null}');
    });
  });

  describe('content type: every body is JSON, as Authen reads it', () => {
    const body = '{"uses":2,"payload":{"user_id":12345678901234567890}}';
    const answer = '{"uses":1,"payload":{"user_id":12345678901234567890}}';

    it.each([
      ['no Content-Type', {}],
      ['form encoding (curl -d without -H)', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['text/plain', { 'content-type': 'text/plain' }],
      ['JSON with a charset', { 'content-type': 'application/json; charset=utf-8' }],
      ['an unrelated type', { 'content-type': 'image/png' }],
      ['an empty Content-Type', { 'content-type': '' }],
      ['a Content-Type that is not a media type', { 'content-type': 'json' }],
      ['a malformed Content-Type', { 'content-type': 'application/ json' }],
    ])('%s', async (_name, headers) => {
      expect(await roundTrip(body, headers)).toBe(answer);
    });
  });

  describe('unknown fields', () => {
    freshEach();

    it('are ignored', async () => {
      const ticket = await createTicket(t, { uses: 2, ttl: 5, payload: 1, foo: 'bar', ticket: 'x', expires: 3 });
      expect((await peekTicket(t, ticket)).json()).toEqual({
        uses: 2,
        expires: '2026-01-01T00:00:05.000Z',
        created: CREATED,
      });
    });
  });

  it('a ticket is usable right after create, with the payload it was created with', async () => {
    const ticket = await createTicket(t, { payload: { user_id: 9001 }, uses: 1, ttl: 30 });
    expect((await useTicket(t, ticket)).json()).toEqual({ uses: 0, payload: { user_id: 9001 } });
  });
});
