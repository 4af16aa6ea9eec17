import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import { post, TICKET_FORMAT } from './client.js';

/**
 * The curl samples of Authen's ticket docs (seed 002), sent as curl sends
 * them, answer as the docs show.
 */

let t: TestTicketd;
beforeEach(async () => {
  t = await startTestTicketd();
});
afterEach(async () => {
  await t.stop();
});

// curl -X POST "http://127.0.0.1:5200/v1/tickets" -H "Content-Type: application/json" -d '{ ... }'
const CREATE_BODY = `{
"uses": 2,
"ttl": 50,
"payload": {"user_id": 9001}
}`;

describe("Authen's documented samples", () => {
  it.each([
    ['with -H "Content-Type: application/json"', 'application/json'],
    ['without -H (curl -d sends form encoding)', 'application/x-www-form-urlencoded'],
  ])('create, use, delete %s', async (_name, contentType) => {
    const headers = { 'content-type': contentType };

    const created = await post(t, '/v1/tickets', CREATE_BODY, { headers });
    expect(created.statusCode).toBe(200);
    const { ticket } = created.json() as { ticket: string };
    expect(created.body).toBe(`{"ticket":"${ticket}"}`);
    expect(ticket).toMatch(TICKET_FORMAT);

    const used = await post(t, '/v1/tickets/use', `{"ticket": "${ticket}"}`, { headers });
    expect(used.statusCode).toBe(200);
    expect(used.json()).toEqual({ uses: 1, payload: { user_id: 9001 } });
    expect(used.body).toBe('{"uses":1,"payload":{"user_id":9001}}');

    const deleted = await post(t, '/v1/tickets/delete', `{"ticket": "${ticket}"}`, { headers });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.body).toBe('{"uses":1,"deleted":1}');
  });

  it('the ticket of the sample lives 50 s', async () => {
    const { ticket } = (await post(t, '/v1/tickets', CREATE_BODY, { headers: {} })).json() as { ticket: string };
    t.clock.advance(49_000);
    expect((await post(t, '/v1/tickets/peek', { ticket })).json()).toEqual({
      uses: 2,
      expires: '2026-01-01T00:00:50.000Z',
      created: '2026-01-01T00:00:00.000Z',
    });
    t.clock.advance(1000);
    expect((await post(t, '/v1/tickets/use', { ticket })).statusCode).toBe(404);
  });

  it('the single sign-on hand-over of docs/tickets.md: uses 1, ttl 30, redeemed once', async () => {
    const { ticket } = (await post(t, '/v1/tickets', { uses: 1, ttl: 30, payload: { user_id: 9001 } })).json() as {
      ticket: string;
    };
    t.clock.advance(29_000);
    expect((await post(t, '/v1/tickets/use', { ticket })).body).toBe('{"uses":0,"payload":{"user_id":9001}}');
    expect((await post(t, '/v1/tickets/use', { ticket })).json()).toEqual({ code: 102011, error: 'ticket not found' });
  });

  it('a ticket of the documented shape that was never issued is not found', async () => {
    const res = await post(t, '/v1/tickets/use', '{"ticket": "UrX/fTU0TaEEBv1ZlhpImz1c1Ts"}', {
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 102011, error: 'ticket not found' });
  });
});
