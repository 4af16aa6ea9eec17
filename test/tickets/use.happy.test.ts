import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestTicketd, type TestTicketd } from '../helpers/ticketd.js';
import { createTicket, peekTicket, post, useTicket } from './client.js';

let t: TestTicketd;
beforeEach(async () => {
  t = await startTestTicketd();
});
afterEach(async () => {
  await t.stop();
});

describe('POST /v1/tickets/use', () => {
  it('counts the uses down to 0, then the ticket is gone', async () => {
    const ticket = await createTicket(t, { uses: 3, payload: { user_id: 9001 } });
    for (const uses of [2, 1, 0]) {
      const res = await useTicket(t, ticket);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ uses, payload: { user_id: 9001 } });
    }
    expect((await useTicket(t, ticket)).statusCode).toBe(404);
    expect(await t.store.tickets.count('default')).toBe(0);
  });

  it('answers exactly {"uses", "payload"}', async () => {
    const ticket = await createTicket(t, { uses: 2, payload: [1, 2] });
    const res = await useTicket(t, ticket);
    expect(res.body).toBe('{"uses":1,"payload":[1,2]}');
  });

  it('"uses": null for an unlimited ticket, every time', async () => {
    const ticket = await createTicket(t, { uses: null, payload: 'p' });
    for (let i = 0; i < 10; i++) expect((await useTicket(t, ticket)).json()).toEqual({ uses: null, payload: 'p' });
    expect((await peekTicket(t, ticket)).json()).toMatchObject({ uses: null });
  });

  it('"payload": null when the ticket has none', async () => {
    const ticket = await createTicket(t, { uses: 2 });
    expect((await useTicket(t, ticket)).body).toBe('{"uses":1,"payload":null}');
  });

  it('a ticket with a long lifetime is usable until its last millisecond', async () => {
    const ticket = await createTicket(t, { ttl: 3600, uses: 0 });
    t.clock.advance(3_599_999);
    expect((await useTicket(t, ticket)).statusCode).toBe(200);
  });

  it('reads the ticket with no Content-Type and with a form content type', async () => {
    const ticket = await createTicket(t, { uses: 0, payload: 7 });
    for (const headers of [{}, { 'content-type': 'application/x-www-form-urlencoded' }] as Record<string, string>[]) {
      const res = await post(t, '/v1/tickets/use', JSON.stringify({ ticket }), { headers });
      expect(res.json()).toEqual({ uses: null, payload: 7 });
    }
  });

  it('ignores unknown fields', async () => {
    const ticket = await createTicket(t, { uses: 2 });
    expect((await post(t, '/v1/tickets/use', { ticket, uses: 100, project: 'x' })).json()).toEqual({
      uses: 1,
      payload: null,
    });
  });

  it('of concurrent uses of a ticket with k uses, exactly k succeed', async () => {
    const ticket = await createTicket(t, { uses: 5 });
    const answers = await Promise.all(Array.from({ length: 40 }, () => useTicket(t, ticket)));
    const ok = answers.filter((r) => r.statusCode === 200).map((r) => (r.json() as { uses: number }).uses);
    expect(ok.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(answers.filter((r) => r.statusCode === 404)).toHaveLength(35);
  });

  it('using one ticket leaves the others alone', async () => {
    const a = await createTicket(t, { uses: 1 });
    const b = await createTicket(t, { uses: 1 });
    expect((await useTicket(t, a)).statusCode).toBe(200);
    expect((await peekTicket(t, b)).json()).toMatchObject({ uses: 1 });
  });
});
