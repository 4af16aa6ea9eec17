import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import { createTicket, deleteTicket, peekTicket, post, UNKNOWN_TICKET, useTicket } from './client.js';

let t: TestTicketd;
beforeEach(async () => {
  t = await startTestTicketd();
});
afterEach(async () => {
  await t.stop();
});

describe('POST /v1/tickets/delete', () => {
  it('{"uses": N, "deleted": 1}, then {"uses": null, "deleted": 0}', async () => {
    const ticket = await createTicket(t, { uses: 4 });
    const first = await deleteTicket(t, ticket);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ uses: 4, deleted: 1 });
    const second = await deleteTicket(t, ticket);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual({ uses: null, deleted: 0 });
  });

  it('reports the uses left after some were taken', async () => {
    const ticket = await createTicket(t, { uses: 4 });
    await useTicket(t, ticket);
    await useTicket(t, ticket);
    expect((await deleteTicket(t, ticket)).json()).toEqual({ uses: 2, deleted: 1 });
  });

  it('"uses": null for an unlimited ticket', async () => {
    const ticket = await createTicket(t, { uses: 0 });
    expect((await deleteTicket(t, ticket)).json()).toEqual({ uses: null, deleted: 1 });
  });

  it('the ticket is gone afterwards: use and peek answer 404', async () => {
    const ticket = await createTicket(t, { uses: 3, payload: 'p' });
    await deleteTicket(t, ticket);
    expect((await useTicket(t, ticket)).statusCode).toBe(404);
    expect((await peekTicket(t, ticket)).statusCode).toBe(404);
    expect(await t.store.tickets.count('default')).toBe(0);
  });

  it.each([
    ['unknown', async () => UNKNOWN_TICKET],
    [
      'used-up',
      async () => {
        const ticket = await createTicket(t, { uses: 1 });
        await useTicket(t, ticket);
        return ticket;
      },
    ],
    [
      'expired',
      async () => {
        const ticket = await createTicket(t, { ttl: 10 });
        t.clock.advance(10_000);
        return ticket;
      },
    ],
  ])('an %s ticket: 200 {"uses": null, "deleted": 0}', async (_name, make) => {
    const res = await deleteTicket(t, await make());
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('{"uses":null,"deleted":0}');
  });

  it('leaves the other tickets alone', async () => {
    const a = await createTicket(t, { uses: 2 });
    const b = await createTicket(t, { uses: 2 });
    await deleteTicket(t, a);
    expect((await peekTicket(t, b)).json()).toMatchObject({ uses: 2 });
  });

  it('of concurrent deletes exactly one deletes', async () => {
    const ticket = await createTicket(t, { uses: 3 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => deleteTicket(t, ticket)));
    const bodies = answers.map((r) => r.body).sort();
    expect(bodies.filter((b) => b === '{"uses":3,"deleted":1}')).toHaveLength(1);
    expect(bodies.filter((b) => b === '{"uses":null,"deleted":0}')).toHaveLength(19);
  });

  it('reads the ticket with a form content type', async () => {
    const ticket = await createTicket(t);
    const res = await post(t, '/v1/tickets/delete', JSON.stringify({ ticket }), {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.json()).toEqual({ uses: 1, deleted: 1 });
  });
});
